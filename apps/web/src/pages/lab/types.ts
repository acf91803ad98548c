export interface Batch {
  id: string;
  batchNumber: string;
  productId: string;
  productCode: string;
  productName: string;
  state: string;
  sourceType: string;
  originClass: string;
  yieldVolumeMl: number | null;
  specificationId: string | null;
  qcRevision: number;
  lotNumber: string | null;
  releasedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  nextTransitions: string[];
}

export interface BatchEvent {
  id: string;
  transition: string;
  fromState: string | null;
  toState: string;
  actorName: string | null;
  reason: string | null;
  occurredAt: string;
}

export interface IsolationStep {
  id: string;
  sequence: number;
  stepType: string;
  reagentLotId: string | null;
  reagentLotNumber: string | null;
  reagentName: string | null;
  parameters: Record<string, number | string>;
  performedAt: string;
  notes: string | null;
  recordedAt: string;
}

export interface BatchDetail extends Batch {
  harvest: { sourceType: string; originClass: string; harvestedAt: string; details: Record<string, unknown>; recordedAt: string } | null;
  isolationSteps: IsolationStep[] | null;
  summary: { stepCount: number; processingMinutes: number; reagentLots: string[] } | null;
  events: BatchEvent[];
  [section: string]: unknown;
}

export interface VerdictLine {
  label: string;
  value: unknown;
  verdict: string;
  expected: string;
  parameter: string;
  criterionId?: string;
}

export interface AssayResult {
  id: string;
  batchId: string;
  assay: string;
  lineageId: string;
  version: number;
  supersedesId: string | null;
  supersededById: string | null;
  retestOfId: string | null;
  specificationId: string | null;
  data: Record<string, unknown>;
  derived: Record<string, unknown>;
  verdicts: VerdictLine[];
  outcome: string;
  instrument: string | null;
  instrumentFileId: string | null;
  performedAt: string;
  correctionReason: string | null;
  recordedByName: string;
  recordedAt: string;
}

export interface Specification {
  id: string;
  productId: string;
  version: number;
  status: string;
  title: string;
  notes: string | null;
  basedOnId: string | null;
  createdAt: string;
  effectiveAt: string | null;
  approvalSignatureId: string | null;
  criteria?: import('../../lib/assays').CriterionLine[];
}

export interface Product {
  id: string;
  code: string;
  name: string;
  shelfLifeDays: number;
  gtin: string | null;
}

export interface ReagentLot {
  id: string;
  reagentId: string;
  reagentName: string;
  lotNumber: string;
  expiryDate: string;
  receivedDate: string;
  recalledAt: string | null;
  recallReason: string | null;
  status: string;
}

export interface Reagent {
  id: string;
  name: string;
  manufacturer: string;
  catalogueNumber: string;
  kind: string;
  intendedSource: string;
}

export interface Investigation {
  id: string;
  batchId: string;
  batchNumber: string;
  resultId: string;
  assay: string;
  number: string;
  status: string;
  failedParameters: { label: string; value: unknown; expected: string; parameter: string }[];
  assigneeId: string | null;
  findings: string | null;
  rootCause: string | null;
  conclusion: string | null;
  retestResultId: string | null;
  openedAt: string;
  closedAt: string | null;
  version: number;
}

export interface ChecklistLine {
  key: string;
  requirement: string;
  status: string;
  detail: string;
  evidence: { resultId?: string; version?: number; value?: unknown; [k: string]: unknown }[];
}

export interface Checklist {
  id: string;
  batchId: string;
  qcRevision: number;
  specificationId: string | null;
  passed: boolean;
  stale?: boolean;
  computed?: boolean;
  computedAt?: string;
  lines: ChecklistLine[];
}

/** A shipment to a clinic (GET /shipments; GET /shipments/:id adds its vials). */
export interface Shipment {
  id: string;
  number: string;
  clinicId: string;
  clinicName: string;
  loggerId: string | null;
  loggerCode: string | null;
  alarmHighC: number;
  status: string;
  createdAt: string;
  shippedAt: string | null;
  receivedAt: string | null;
  arrivalStatus: string | null;
  receiptNotes: string | null;
  vialCount: number;
  vials?: { serial: string; status?: string; expiryDate?: string; lotNumber?: string; volumeMl?: number; quarantined?: boolean; usedAt?: string | null; [k: string]: unknown }[];
}
