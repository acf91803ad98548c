export const NOT_VERIFIED_REASONS = ['unknown_code', 'not_released', 'quarantined', 'rejected', 'recalled', 'expired', 'cold_chain_excursion', 'destroyed', 'already_used'] as const;
export type NotVerifiedReason = (typeof NOT_VERIFIED_REASONS)[number];

export interface LotStatus {
  batchState: string;
  recalled: boolean;
  expiryDate: string | null; // YYYY-MM-DD
}

export interface VialStatus {
  status: string;
  quarantined: boolean;
  recalled: boolean;
  unresolvedExcursion: boolean;
  expiryDate: string | null;
}

/**
 * The verdict, with the single most important reason when not verified. Order: what makes the
 * product unusable for good (rejected, recalled, destroyed, used) comes before what may be
 * temporary (quarantine, excursion, not released) and before expiry. Pure.
 */
export function decideVerdict(lot: LotStatus, vial: VialStatus | null, today: string): { verdict: 'verified' | 'not_verified'; reason: NotVerifiedReason | null } {
  const reason = ((): NotVerifiedReason | null => {
    if (lot.batchState === 'rejected') return 'rejected';
    if (lot.recalled || vial?.recalled) return 'recalled';
    if (vial?.status === 'destroyed') return 'destroyed';
    if (vial?.status === 'used') return 'already_used';
    if (vial?.unresolvedExcursion) return 'cold_chain_excursion';
    if (vial?.quarantined || lot.batchState === 'quarantined') return 'quarantined';
    if (lot.batchState !== 'released') return 'not_released';
    const expiry = vial?.expiryDate ?? lot.expiryDate;
    if (expiry && expiry < today) return 'expired';
    return null;
  })();
  return { verdict: reason ? 'not_verified' : 'verified', reason };
}

export const REASON_TEXT: Record<NotVerifiedReason, string> = {
  unknown_code: 'This code is not known to the lab.',
  not_released: 'This lot has not been released by quality assurance.',
  quarantined: 'This product is in quarantine and must not be used.',
  rejected: 'This lot was rejected by quality assurance and must not be used.',
  recalled: 'This product has been recalled and must not be used.',
  expired: 'This product is past its expiry date.',
  cold_chain_excursion: 'This vial was exposed to a cold-chain temperature excursion that has not been resolved. Do not use.',
  destroyed: 'This vial was recorded as destroyed.',
  already_used: 'This vial has already been used.',
};

export const INTENDED_USE = 'For topical application to the skin after microneedling or laser procedures. Not for injection.';

const ORIGIN_TEXT: Record<string, string> = {
  human_cell_derived: 'human cell-derived',
  human_serum: 'human serum-derived',
  platelet_derived: 'human platelet-derived',
  plant_derived: 'plant-derived (not human-derived)',
  synthetic: 'synthetic vesicles (not human-derived)',
};

const CELL_TEXT: Record<string, string> = {
  msc: 'mesenchymal stem/stromal cells', hela: 'HeLa cells', hek293: 'HEK293 cells', dermal_fibroblast: 'dermal fibroblasts',
  keratinocyte: 'keratinocytes', plant_cell: 'plant cells', other: 'cultured cells',
};

/** States the declared origin plainly, e.g. "Human MSC-derived, from adipose tissue (cell-culture media)". */
export function describeOrigin(originClass: string, sourceType: string, details: Record<string, unknown>): string {
  if (sourceType === 'serum') return originClass === 'platelet_derived' ? 'Human platelet-derived extracellular vesicles (from blood)' : 'Human serum-derived extracellular vesicles';
  const cell = CELL_TEXT[String(details.producingCellType)] ?? 'cultured cells';
  const tissue = details.sourceTissue ? `, from ${String(details.sourceTissue).replace(/_/g, ' ')} tissue` : '';
  const origin = ORIGIN_TEXT[originClass] ?? originClass.replace(/_/g, ' ');
  return `${origin.charAt(0).toUpperCase()}${origin.slice(1)} extracellular vesicles from ${cell}${tissue} (conditioned cell-culture media)`;
}

const METHOD_TEXT: Record<string, string> = {
  precipitation: 'polymer-based precipitation', ultracentrifugation: 'ultracentrifugation', sec: 'size-exclusion chromatography',
  tff: 'tangential-flow filtration', pelleting_spin: 'differential centrifugation',
};

/** The isolation method in words, from the separating steps recorded. */
export function describeIsolation(stepTypes: string[]): string {
  const methods = [...new Set(stepTypes.filter((t) => METHOD_TEXT[t]).map((t) => METHOD_TEXT[t]))];
  return methods.length ? methods.join(', then ') : 'not recorded';
}
