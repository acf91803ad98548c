import type { Assay } from '#specifications';

/** The conventional cycle limit: an undetected target is reported as "≥ 40", which fails Cq ≤ 35. */
export const UNDETECTED_CQ = 40;
export const HIGH_PURITY_PARTICLES_PER_UG = 3e10;

export interface DerivationContext {
  /** The current NTA concentration of the batch (particles/mL), if recorded. */
  ntaConcentrationPerMl?: number | null;
}

/** Values judged by the specification that come from more than one field or result. Pure. */
export function deriveValues(assay: Assay, data: Record<string, unknown>, context: DerivationContext): Record<string, unknown> {
  switch (assay) {
    case 'facs': {
      const positive = data.percentPositive as number;
      const isotype = data.isotypeControlPercent as number;
      return { percentAboveIsotype: round(positive - isotype, 4) };
    }
    case 'protein': {
      const protein = data.concentrationUgPerMl as number;
      const particles = context.ntaConcentrationPerMl;
      if (!particles || !protein) return { purityParticlesPerUg: null, highPurity: null };
      const ratio = particles / protein;
      return { purityParticlesPerUg: ratio, highPurity: ratio >= HIGH_PURITY_PARTICLES_PER_UG };
    }
    case 'qpcr': {
      const references = ((data.targets as { cq?: number; isReference: boolean }[]) ?? []).filter((t) => t.isReference);
      if (references.length === 0) return { referenceCqMax: null };
      return { referenceCqMax: Math.max(...references.map((t) => (typeof t.cq === 'number' ? t.cq : UNDETECTED_CQ))) };
    }
    default:
      return {};
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
