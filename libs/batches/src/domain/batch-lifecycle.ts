/**
 * The batch lifecycle: one explicit table of transitions, each with its guards. Services
 * gather the facts a guard needs and ask `planTransition`; nothing else decides states.
 */
export const BATCH_STATES = [
  'harvested',
  'isolation_in_progress',
  'isolated',
  'characterization',
  'qc_review',
  'release_pending',
  'released',
  'rejected',
  'quarantined',
] as const;
export type BatchState = (typeof BATCH_STATES)[number];

/** Facts about a batch that guards read. Each service supplies the ones its transition needs. */
export interface TransitionFacts {
  harvestRecorded?: boolean;
  isolationStepCount?: number;
  separationStepCount?: number;
  yieldVolumeMl?: number | null;
  specificationBound?: boolean;
  requiredResultsRecorded?: boolean;
  checklistPassed?: boolean;
  releaseSignatureId?: string | null;
  previouslyReleased?: boolean;
  reason?: string | null;
}

export type Guard = (facts: TransitionFacts) => string | null;

export interface TransitionDefinition {
  from: readonly BatchState[] | null;
  to: BatchState;
  /** Who triggers it: a person through the API, or the system (a job). */
  by: 'person' | 'system' | 'person_or_system';
  requiresReason: boolean;
  guards: readonly Guard[];
  description: string;
}

const ACTIVE_LAB_STATES = ['harvested', 'isolation_in_progress', 'isolated', 'characterization', 'qc_review', 'release_pending'] as const;

const guards = {
  harvestRecorded: (f: TransitionFacts) => (f.harvestRecorded ? null : 'the harvest must be recorded first'),
  hasSeparationStep: (f: TransitionFacts) =>
    (f.separationStepCount ?? 0) > 0 ? null : 'isolation needs at least one separation step (precipitation, pelleting spin, ultracentrifugation, SEC or TFF)',
  hasYield: (f: TransitionFacts) => (f.yieldVolumeMl != null && f.yieldVolumeMl > 0 ? null : 'the isolated yield volume must be recorded'),
  specificationBound: (f: TransitionFacts) => (f.specificationBound ? null : 'a specification version must be bound to the batch'),
  requiredResultsRecorded: (f: TransitionFacts) => (f.requiredResultsRecorded ? null : 'every required assay result must be recorded'),
  checklistPassed: (f: TransitionFacts) => (f.checklistPassed ? null : 'every line of the release checklist must pass'),
  releaseSigned: (f: TransitionFacts) => (f.releaseSignatureId ? null : 'release needs a QA e-signature'),
  previouslyReleased: (f: TransitionFacts) => (f.previouslyReleased ? null : 'only a batch that was released before can return to released'),
} satisfies Record<string, Guard>;

export const TRANSITIONS = {
  record_harvest: { from: null, to: 'harvested', by: 'person', requiresReason: false, guards: [guards.harvestRecorded], description: 'A batch starts with its recorded harvest.' },
  start_isolation: { from: ['harvested'], to: 'isolation_in_progress', by: 'person', requiresReason: false, guards: [guards.harvestRecorded], description: 'The first isolation step is recorded.' },
  complete_isolation: { from: ['isolation_in_progress'], to: 'isolated', by: 'person', requiresReason: false, guards: [guards.hasSeparationStep, guards.hasYield], description: 'Isolation is complete and its yield recorded.' },
  start_characterization: { from: ['isolated'], to: 'characterization', by: 'person_or_system', requiresReason: false, guards: [guards.specificationBound], description: 'Characterization starts; the effective specification version is bound.' },
  submit_for_qc_review: { from: ['characterization'], to: 'qc_review', by: 'person_or_system', requiresReason: false, guards: [guards.requiredResultsRecorded], description: 'All required results are in; QC evaluates them.' },
  gate_passed: { from: ['qc_review'], to: 'release_pending', by: 'system', requiresReason: false, guards: [guards.checklistPassed], description: 'The release gate found every checklist line passing.' },
  gate_failed: { from: ['release_pending'], to: 'qc_review', by: 'system', requiresReason: true, guards: [], description: 'A checklist line failed after the gate had passed.' },
  approve_release: { from: ['release_pending'], to: 'released', by: 'person', requiresReason: false, guards: [guards.checklistPassed, guards.releaseSigned], description: 'QA approved release with an e-signature.' },
  reject: { from: ['qc_review', 'release_pending', 'quarantined'], to: 'rejected', by: 'person', requiresReason: true, guards: [], description: 'QA rejected the batch; it can never be released.' },
  quarantine: { from: [...ACTIVE_LAB_STATES, 'released'], to: 'quarantined', by: 'person_or_system', requiresReason: true, guards: [], description: 'Held: an excursion, a recall or a deviation is being investigated.' },
  lift_quarantine_to_review: { from: ['quarantined'], to: 'qc_review', by: 'person', requiresReason: true, guards: [], description: 'Quarantine lifted for a batch still in the lab; QC re-evaluates it.' },
  lift_quarantine_released: { from: ['quarantined'], to: 'released', by: 'person', requiresReason: true, guards: [guards.previouslyReleased], description: 'Quarantine lifted for a batch that had been released.' },
} as const satisfies Record<string, TransitionDefinition>;

export type TransitionName = keyof typeof TRANSITIONS;

export type TransitionPlan =
  | { ok: true; to: BatchState; from: BatchState | null }
  | { ok: false; code: 'state.transition_not_allowed' | 'state.guard_failed' | 'state.reason_required'; message: string; failures: string[] };

/** Decides whether `transition` may happen from `current` given the facts. Pure. */
export function planTransition(current: BatchState | null, transition: TransitionName, facts: TransitionFacts): TransitionPlan {
  const definition: TransitionDefinition = TRANSITIONS[transition];
  const allowedFrom = definition.from;
  const fromOk = allowedFrom === null ? current === null : current !== null && allowedFrom.includes(current);
  if (!fromOk) {
    const expected = allowedFrom === null ? 'a new batch' : allowedFrom.join(' or ');
    return { ok: false, code: 'state.transition_not_allowed', message: `Cannot ${transition.replace(/_/g, ' ')}: the batch is ${current ?? 'new'}, and this needs ${expected}.`, failures: [] };
  }
  if (definition.requiresReason && !(facts.reason && facts.reason.trim().length > 0)) {
    return { ok: false, code: 'state.reason_required', message: `A reason is required to ${transition.replace(/_/g, ' ')}.`, failures: ['reason'] };
  }
  const failures = definition.guards.map((guard) => guard(facts)).filter((f): f is string => f !== null);
  if (failures.length > 0) {
    return { ok: false, code: 'state.guard_failed', message: `Cannot ${transition.replace(/_/g, ' ')}: ${failures.join('; ')}.`, failures };
  }
  return { ok: true, from: current, to: definition.to };
}

/** Transitions possible from a state, for showing what a batch is waiting for. */
export function transitionsFrom(state: BatchState): TransitionName[] {
  return (Object.keys(TRANSITIONS) as TransitionName[]).filter((name) => {
    const from: readonly BatchState[] | null = TRANSITIONS[name].from;
    return from !== null && from.includes(state);
  });
}

export function isTerminal(state: BatchState): boolean {
  return transitionsFrom(state).length === 0;
}
