import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ProvenanceRepository, type LotRecord, type VialRecord } from './provenance.repository.js';
import { parseVerificationCode } from './verification-code.js';
import { VerificationKey } from './verification-key.js';
import { decideVerdict, describeIsolation, describeOrigin, INTENDED_USE, REASON_TEXT, type NotVerifiedReason } from './verdict.js';

export interface VerificationAnswer {
  verdict: 'verified' | 'not_verified';
  reason: NotVerifiedReason | null;
  message: string;
  code: string;
  facts: Record<string, unknown> | null;
  checkedAt: string;
  signature: { alg: 'Ed25519'; keyId: string; value: string };
}

const ASSAY_NAMES: Record<string, string> = {
  nta: 'Nanoparticle tracking analysis', em: 'Electron microscopy', western_blot: 'Western blot', facs: 'Flow cytometry', protein: 'Protein quantification',
  rna_isolation: 'RNA isolation', bioanalyzer: 'Small-RNA profile (capillary electrophoresis)', qpcr: 'qRT-PCR', sterility: 'Sterility', endotoxin: 'Endotoxin', mycoplasma: 'Mycoplasma',
};

/**
 * The public provenance lookup. Derived only from released, signed records; never donor or
 * patient data, staff names or investigation notes. Every answer is signed (Ed25519).
 */
@Injectable()
export class ProvenanceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ProvenanceRepository,
    private readonly key: VerificationKey,
  ) {}

  async verify(rawCode: string): Promise<VerificationAnswer> {
    const code = rawCode.trim().slice(0, 512);
    const em = this.dataSource.manager;
    const found = await this.resolve(em, code);
    if (!found) return this.answer(code, 'not_verified', 'unknown_code', null);
    const { lot, vial } = found;
    const today = new Date().toISOString().slice(0, 10);
    const { verdict, reason } = decideVerdict(
      { batchState: lot.state, recalled: !!lot.recalledAt, expiryDate: lot.expiryDate },
      vial ? { status: vial.status, quarantined: vial.quarantined, recalled: !!vial.recalledAt, unresolvedExcursion: vial.unresolvedExcursion, expiryDate: vial.expiryDate } : null,
      today,
    );
    return this.answer(code, verdict, reason, this.facts(lot, vial));
  }

  /** Public key material for clinic systems that check the answers. */
  publicKey(): Record<string, unknown> {
    return { keys: [this.key.publicJwk()], pem: this.key.publicPem(), signedContent: 'canonical JSON (keys sorted, no whitespace) of the answer without its "signature" member' };
  }

  private async resolve(em: EntityManager, code: string): Promise<{ lot: LotRecord; vial: VialRecord | null } | null> {
    const parsed = parseVerificationCode(code);
    if (parsed.kind === 'invalid') return null;
    if (parsed.kind === 'plain') {
      const vial = await this.repo.vialBySerial(em, parsed.value);
      if (vial) {
        const lot = await this.repo.lotByBatch(em, vial.batchId);
        return lot?.lotNumber ? { lot, vial } : null;
      }
      const lot = await this.repo.lotByNumber(em, parsed.value);
      return lot ? { lot, vial: null } : null;
    }
    // Every identifier given must agree: a serial with another lot's number is unknown.
    if (parsed.serial) {
      const vial = await this.repo.vialBySerial(em, parsed.serial);
      if (!vial) return null;
      const lot = await this.repo.lotByBatch(em, vial.batchId);
      if (!lot?.lotNumber || (parsed.lot && parsed.lot !== lot.lotNumber) || (parsed.gtin && parsed.gtin !== lot.gtin)) return null;
      return { lot, vial };
    }
    const lot = parsed.lot ? await this.repo.lotByNumber(em, parsed.lot) : null;
    if (!lot || (parsed.gtin && parsed.gtin !== lot.gtin)) return null;
    return { lot, vial: null };
  }

  private facts(lot: LotRecord, vial: VialRecord | null): Record<string, unknown> {
    const released = !!lot.releasedAt;
    const results = released ? lot.results : [];
    const byAssay = new Map(results.map((r) => [r.assay, r]));
    const nta = byAssay.get('nta')?.data;
    const markers = (byAssay.get('western_blot')?.data.markers as { marker: string; result: string }[] | undefined) ?? [];
    const humanDerived = ['human_cell_derived', 'human_serum', 'platelet_derived'].includes(lot.originClass);
    return {
      product: lot.productName,
      lot: lot.lotNumber,
      ...(vial ? { serial: vial.serial } : {}),
      origin: describeOrigin(lot.originClass, lot.sourceType, lot.harvestDetails),
      humanDerived,
      isolationMethod: describeIsolation(lot.stepTypes),
      characterization: results.map((r) => ({ test: ASSAY_NAMES[r.assay] ?? r.assay, passed: r.outcome === 'pass' })),
      keyFigures: released
        ? {
            ntaModeSizeNm: typeof nta?.modeNm === 'number' ? nta.modeNm : null,
            ntaConcentrationPerMl: typeof nta?.concentrationPerMl === 'number' ? nta.concentrationPerMl : null,
            cd63: markers.find((m) => m.marker.toUpperCase() === 'CD63')?.result ?? null,
          }
        : null,
      released: released ? { on: new Date(lot.releasedAt!).toISOString().slice(0, 10), by: 'Quality assurance manager (electronic signature)' } : null,
      expiry: vial?.expiryDate ?? lot.expiryDate,
      storage: lot.storageInstructions,
      intendedUse: INTENDED_USE,
      ...(vial ? { custody: vial.custody.map((c) => ({ event: c.event, on: new Date(c.at).toISOString().slice(0, 10) })) } : {}),
    };
  }

  private answer(code: string, verdict: 'verified' | 'not_verified', reason: NotVerifiedReason | null, facts: Record<string, unknown> | null): VerificationAnswer {
    const body = {
      verdict,
      reason,
      message: reason ? REASON_TEXT[reason] : 'Verified: released by quality assurance, in date, not recalled, and no unresolved cold-chain excursion.',
      code,
      facts,
      checkedAt: new Date().toISOString(),
    };
    return { ...body, signature: { alg: 'Ed25519', keyId: this.key.keyId, value: this.key.sign(body) } };
  }
}
