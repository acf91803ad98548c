import { randomBytes } from 'node:crypto';

/** Digits and upper-case letters without 0/O and 1/I: read aloud or typed without confusion. */
export const SERIAL_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const SERIAL_LENGTH = 12;

/** 12 symbols of 5 bits from the OS CSPRNG (60 bits): serials cannot be guessed from one another. */
export function newSerial(): string {
  const bytes = randomBytes(SERIAL_LENGTH);
  let out = '';
  for (const b of bytes) out += SERIAL_ALPHABET[b & 31];
  return out;
}

export const VIAL_STATUSES = ['filled', 'stored', 'removed', 'thawed', 'packed', 'shipped', 'received', 'used', 'destroyed'] as const;
export type VialStatus = (typeof VIAL_STATUSES)[number];

export const CUSTODY_KINDS = ['filled', 'stored', 'moved', 'removed', 'thawed', 'packed', 'shipped', 'received', 'used', 'destroyed', 'quarantined', 'quarantine_lifted'] as const;
export type CustodyKind = (typeof CUSTODY_KINDS)[number];

/** Which statuses each custody event may follow, and the status after it ('same' keeps it). */
const CUSTODY_RULES: Record<CustodyKind, { from: readonly VialStatus[]; to: VialStatus | 'same' }> = {
  // The row is inserted as 'filled'; this event opens its history.
  filled: { from: ['filled'], to: 'filled' },
  stored: { from: ['filled', 'removed'], to: 'stored' },
  moved: { from: ['stored', 'packed'], to: 'same' },
  removed: { from: ['stored'], to: 'removed' },
  thawed: { from: ['removed'], to: 'thawed' },
  packed: { from: ['stored'], to: 'packed' },
  shipped: { from: ['packed'], to: 'shipped' },
  received: { from: ['shipped'], to: 'received' },
  used: { from: ['received', 'thawed'], to: 'used' },
  destroyed: { from: ['filled', 'stored', 'removed', 'thawed', 'packed', 'shipped', 'received'], to: 'destroyed' },
  quarantined: { from: VIAL_STATUSES, to: 'same' },
  quarantine_lifted: { from: VIAL_STATUSES, to: 'same' },
};

export type CustodyPlan = { ok: true; status: VialStatus; cyclesAdded: number } | { ok: false; message: string };

/**
 * The status after a custody event and the freeze–thaw cycles it adds. The rule: a cycle is
 * counted each time a frozen vial thaws — an explicit 'thawed', a clinic's 'used' straight
 * from a frozen receipt — and each time a vial taken out of a freezer ('removed') is stored
 * again (it warmed and refroze). The first storage after fill is the initial freeze, not a cycle.
 * A thawed vial is never refrozen. Pure.
 */
export function planCustody(status: VialStatus, kind: CustodyKind): CustodyPlan {
  const rule = CUSTODY_RULES[kind];
  if (!rule.from.includes(status)) {
    const hint = status === 'thawed' && kind === 'stored' ? ' (a thawed vial is never refrozen)' : '';
    return { ok: false, message: `a ${status} vial cannot be ${kind.replace(/_/g, ' ')}${hint}` };
  }
  const cyclesAdded = kind === 'thawed' || (kind === 'used' && status === 'received') || (kind === 'stored' && status === 'removed') ? 1 : 0;
  return { ok: true, status: rule.to === 'same' ? status : rule.to, cyclesAdded };
}

export interface PackFacts {
  purpose: 'dose' | 'bulk';
  status: VialStatus;
  batchState: string;
  expiryDate: string | null;
  quarantined: boolean;
  recalledAt: string | null;
  clinicId: string | null;
}

/** Why a vial cannot be packed for this clinic on this day, or null. Pure. */
export function packRefusal(vial: PackFacts, shipmentClinicId: string, today: string): { rule: string; message: string } | null {
  if (vial.purpose !== 'dose') return { rule: 'notDose', message: 'is a bulk container, not a dose vial' };
  if (vial.batchState !== 'released') return { rule: 'unreleased', message: `comes from a batch that is ${vial.batchState}, not released` };
  if (vial.recalledAt) return { rule: 'recalled', message: 'is recalled' };
  if (vial.quarantined) return { rule: 'quarantined', message: 'is quarantined (cold-chain excursion without a disposition)' };
  if (!vial.expiryDate || vial.expiryDate < today) return { rule: 'expired', message: `expired on ${vial.expiryDate}` };
  if (vial.clinicId && vial.clinicId !== shipmentClinicId) return { rule: 'otherClinic', message: "is made for another clinic's patient" };
  if (vial.status !== 'stored') return { rule: 'notInStorage', message: `is ${vial.status}, not in storage` };
  return null;
}

/** Expiry date (YYYY-MM-DD) of a vial filled on `filledAt` with the product's shelf life. */
export function expiryDate(filledAt: Date, shelfLifeDays: number): string {
  const d = new Date(Date.UTC(filledAt.getUTCFullYear(), filledAt.getUTCMonth(), filledAt.getUTCDate()));
  d.setUTCDate(d.getUTCDate() + shelfLifeDays);
  return d.toISOString().slice(0, 10);
}
