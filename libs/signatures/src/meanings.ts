/** The fixed meanings a signature can carry (21 CFR 11.50(a)(3)). */
export const SIGNATURE_MEANINGS = [
  'reviewed',
  'approved_for_release',
  'rejected',
  'approved_specification',
  'oos_investigation_closed',
  'excursion_disposition',
  'recall',
] as const;
export type SignatureMeaning = (typeof SIGNATURE_MEANINGS)[number];

/** How each meaning is printed with the signature. */
export const MEANING_TEXT: Record<SignatureMeaning, string> = {
  reviewed: 'Reviewed',
  approved_for_release: 'Approved for release',
  rejected: 'Rejected',
  approved_specification: 'Specification approved',
  oos_investigation_closed: 'OOS investigation closed',
  excursion_disposition: 'Excursion disposition',
  recall: 'Recall',
};

export function isSignatureMeaning(value: unknown): value is SignatureMeaning {
  return typeof value === 'string' && (SIGNATURE_MEANINGS as readonly string[]).includes(value);
}
