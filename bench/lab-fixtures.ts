import { randomBytes } from 'node:crypto';
import { ReleaseGateJob } from '#release';
import type { BenchApp } from './bench-app.js';

/** Shared set-up for the bench sections: the lab's records, made through the API. */

export const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const unique = () => randomBytes(3).toString('hex').toUpperCase();

/** One passing result per assay of the default (MISEV) specification, as [route, body]. */
export function passingResults(performedAt = ago(30)): [route: string, body: Record<string, unknown>][] {
  return [
    ['nta', { performedAt, instrument: 'NanoSight NS300', data: { meanNm: 121.4, modeNm: 104.2, d10Nm: 78, d50Nm: 110, d90Nm: 198, concentrationPerMl: 3.1e11, dilutionFactor: 1000, videoCount: 5 } }],
    ['em', { performedAt, data: { method: 'tem', morphology: 'cup_shaped', sizeRangeMinNm: 40, sizeRangeMaxNm: 160 } }],
    ['western-blot', { performedAt, data: { markers: [{ marker: 'CD63', result: 'present', bandSizeKda: 53 }, { marker: 'TSG101', result: 'present', bandSizeKda: 44 }, { marker: 'calnexin', result: 'absent' }, { marker: 'CD9', result: 'present' }] } }],
    ['facs', { performedAt, data: { marker: 'CD63', percentPositive: 78.5, isotypeControlPercent: 2.1 } }],
    ['protein', { performedAt, data: { method: 'micro_bca', concentrationUgPerMl: 120 } }],
    ['rna-isolation', { performedAt, data: { kitName: 'Total Exosome RNA and Protein Isolation', yieldNg: 350 } }],
    ['bioanalyzer', { performedAt, data: { instrumentType: 'bioanalyzer', concentrationPgPerUl: 850, smallRnaFractionPercent: 62, smallRnaProfile: 'present' } }],
    ['qpcr', { performedAt, data: { targets: [{ target: 'miR-16-5p', cq: 24.1, isReference: true }, { target: 'miR-21-5p', cq: 26.7, isReference: false }] } }],
    ['sterility', { performedAt, data: { result: 'no_growth', method: 'USP <71>, 14 days' } }],
    ['endotoxin', { performedAt, data: { euPerMl: 0.12, method: 'kinetic_chromogenic' } }],
    ['mycoplasma', { performedAt, data: { result: 'negative', method: 'pcr' } }],
  ];
}

export interface Lab {
  qa: { token: string; password: string };
  tech: string;
  productId: string;
  reagentLotId: string;
}

/** A QA manager, a technician, a product (optionally with a GTIN) whose default specification is effective, and a reagent lot. */
export async function lab(app: BenchApp, options: { codePrefix: string; gtin?: string }): Promise<Lab> {
  const qa = await app.signIn('qa_manager');
  const tech = (await app.signIn('technician')).token;
  const product = await app.expect(201, 'POST', '/products', {
    token: qa.token, json: { code: `${options.codePrefix}-${unique()}`, name: 'Bench exosome concentrate', shelfLifeDays: 365, ...(options.gtin ? { gtin: options.gtin } : {}) },
  });
  const draft = await app.expect(201, 'POST', `/products/${product.id}/specifications`, { token: qa.token, json: { fromTemplate: 'misev-default' } });
  await app.expect(200, 'POST', `/specifications/${draft.id}/approve`, { token: qa.token, json: { password: qa.password } });
  const reagent = await app.expect(201, 'POST', '/reagents', {
    token: tech, json: { name: 'Total Exosome Isolation (from cell culture media)', manufacturer: 'Invitrogen', catalogueNumber: '4478359', kind: 'precipitation', intendedSource: 'cell_culture_media' },
  });
  const today = new Date();
  const lot = await app.expect(201, 'POST', `/reagents/${reagent.id}/lots`, {
    token: tech, json: { lotNumber: `${options.codePrefix}-${unique()}`, expiryDate: `${today.getUTCFullYear() + 2}-12-31`, receivedDate: new Date(today.getTime() - 30 * 86400_000).toISOString().slice(0, 10) },
  });
  return { qa, tech, productId: product.id, reagentLotId: lot.id };
}

/** A harvested, isolated batch (spin + precipitation, 2 mL yield) ready for characterization. */
export async function isolatedBatch(app: BenchApp, lab: Lab): Promise<string> {
  const { tech } = lab;
  const batch = await app.expect(201, 'POST', '/batches', {
    token: tech,
    json: {
      productId: lab.productId, sourceType: 'cell_culture_media', originClass: 'human_cell_derived', harvestedAt: ago(240),
      cellCulture: { producingCellType: 'msc', sourceTissue: 'adipose', passageNumber: 4, confluencePercent: 85, cultureDays: 3, mediaVolumeMl: 500, evDepletedMedia: true },
    },
  });
  await app.expect(201, 'POST', `/batches/${batch.id}/isolation/steps`, { token: tech, json: { stepType: 'pre_clearing_spin', performedAt: ago(180), parameters: { gForce: 2000, durationMinutes: 30, temperatureC: 4 } } });
  await app.expect(201, 'POST', `/batches/${batch.id}/isolation/steps`, { token: tech, json: { stepType: 'precipitation', reagentLotId: lab.reagentLotId, performedAt: ago(170), parameters: { sampleVolumeMl: 500, reagentVolumeMl: 250 } } });
  await app.expect(200, 'POST', `/batches/${batch.id}/isolation/complete`, { token: tech, json: { yieldVolumeMl: 2 } });
  return batch.id;
}

/**
 * A released batch: every result passes, the gate is evaluated in process (the bench app runs
 * no worker), and the QA manager signs the release. Returns the batch id and its lot number.
 */
export async function releasedBatch(app: BenchApp, lab: Lab): Promise<{ batchId: string; lotNumber: string }> {
  const batchId = await isolatedBatch(app, lab);
  for (const [route, body] of passingResults()) await app.expect(201, 'POST', `/batches/${batchId}/results/${route}`, { token: lab.tech, json: body });
  await app.app.get(ReleaseGateJob).evaluate(batchId);
  const released = await app.expect(200, 'POST', `/batches/${batchId}/release/approve`, { token: lab.qa.token, json: { password: lab.qa.password } });
  return { batchId, lotNumber: released.lotNumber };
}
