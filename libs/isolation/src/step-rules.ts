import type { FieldError } from '#platform';

export const STEP_TYPES = ['pre_clearing_spin', 'precipitation', 'incubation', 'pelleting_spin', 'resuspension', 'ultracentrifugation', 'sec', 'tff'] as const;
export type StepType = (typeof STEP_TYPES)[number];
export type ParameterName = 'gForce' | 'durationMinutes' | 'temperatureC' | 'sampleVolumeMl' | 'reagentVolumeMl' | 'resuspensionVolumeMl' | 'fractionsCollected' | 'membraneCutoffKda';
export type ReagentKind = 'precipitation' | 'buffer' | 'sec_column' | 'tff_membrane' | 'rna_kit' | 'other';

interface StepRule {
  required: ParameterName[];
  /** Whether the step needs a reagent lot, may have one, or must not. */
  lot: 'required' | 'optional' | 'none';
  lotKinds: ReagentKind[];
  /** Steps that actually separate vesicles; isolation cannot complete without one. */
  separates: boolean;
  minGForce?: number;
}

export const STEP_RULES: Record<StepType, StepRule> = {
  pre_clearing_spin: { required: ['gForce', 'durationMinutes', 'temperatureC'], lot: 'none', lotKinds: [], separates: false },
  precipitation: { required: ['sampleVolumeMl', 'reagentVolumeMl'], lot: 'required', lotKinds: ['precipitation'], separates: true },
  incubation: { required: ['durationMinutes', 'temperatureC'], lot: 'none', lotKinds: [], separates: false },
  pelleting_spin: { required: ['gForce', 'durationMinutes', 'temperatureC'], lot: 'none', lotKinds: [], separates: true },
  resuspension: { required: ['resuspensionVolumeMl'], lot: 'optional', lotKinds: ['buffer'], separates: false },
  ultracentrifugation: { required: ['gForce', 'durationMinutes', 'temperatureC'], lot: 'none', lotKinds: [], separates: true, minGForce: 20_000 },
  sec: { required: ['sampleVolumeMl', 'fractionsCollected'], lot: 'required', lotKinds: ['sec_column'], separates: true },
  tff: { required: ['sampleVolumeMl', 'membraneCutoffKda'], lot: 'optional', lotKinds: ['tff_membrane'], separates: true },
};

export interface StepInput {
  stepType: StepType;
  reagentLotId?: string;
  parameters: Partial<Record<ParameterName, number>> & { rotor?: string };
}

/** Per-step-type rules on top of the DTO's per-field ranges. Pure. */
export function checkStepRules(step: StepInput): FieldError[] {
  const rule = STEP_RULES[step.stepType];
  const errors: FieldError[] = [];
  for (const name of rule.required) {
    if (step.parameters[name] === undefined || step.parameters[name] === null) {
      errors.push({ field: `parameters.${name}`, rule: 'requiredForStepType', message: `${name} is required for a ${step.stepType} step` });
    }
  }
  if (rule.lot === 'required' && !step.reagentLotId) {
    errors.push({ field: 'reagentLotId', rule: 'requiredForStepType', message: `a ${step.stepType} step must name the reagent lot used` });
  }
  if (rule.lot === 'none' && step.reagentLotId) {
    errors.push({ field: 'reagentLotId', rule: 'notForStepType', message: `a ${step.stepType} step takes no reagent lot` });
  }
  if (rule.minGForce && step.parameters.gForce !== undefined && step.parameters.gForce < rule.minGForce) {
    errors.push({ field: 'parameters.gForce', rule: 'min', message: `ultracentrifugation needs at least ${rule.minGForce} × g` });
  }
  return errors;
}

export interface LotFacts {
  lotNumber: string;
  expiryDate: string; // YYYY-MM-DD
  recalledAt: string | null;
  reagentName: string;
  kind: ReagentKind;
  intendedSource: 'cell_culture_media' | 'serum' | 'any';
}

/** Whether a reagent lot may be used on this batch for this step, at this time. */
export function checkLotUse(step: StepType, lot: LotFacts, batchSource: 'cell_culture_media' | 'serum', performedAt: Date): { code: string; message: string } | null {
  const rule = STEP_RULES[step];
  if (rule.lotKinds.length && !rule.lotKinds.includes(lot.kind)) {
    return { code: 'reagent_lot.wrong_kind', message: `${lot.reagentName} is a ${lot.kind} reagent; a ${step} step needs ${rule.lotKinds.join(' or ')}.` };
  }
  if (lot.intendedSource !== 'any' && lot.intendedSource !== batchSource) {
    return { code: 'reagent_lot.wrong_source', message: `${lot.reagentName} is made for ${lot.intendedSource.replace(/_/g, ' ')}, but this batch's source is ${batchSource.replace(/_/g, ' ')}.` };
  }
  if (lot.recalledAt) return { code: 'reagent_lot.recalled', message: `Lot ${lot.lotNumber} was recalled and cannot be used.` };
  const performedDay = performedAt.toISOString().slice(0, 10);
  if (lot.expiryDate < performedDay) {
    return { code: 'reagent_lot.expired', message: `Lot ${lot.lotNumber} expired on ${lot.expiryDate}, before the step (${performedDay}).` };
  }
  return null;
}
