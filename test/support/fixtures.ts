import { randomBytes } from 'node:crypto';
import type { TestApp } from './test-app.js';

const unique = () => randomBytes(3).toString('hex').toUpperCase();

export async function createProduct(app: TestApp, qaToken: string, over: Record<string, unknown> = {}): Promise<{ id: string; code: string }> {
  const res = await app.request('POST', '/products', { token: qaToken, body: { code: `EXO-${unique()}`, name: 'MSC exosome concentrate', shelfLifeDays: 365, ...over } });
  if (res.status !== 201) throw new Error(`product: ${res.status} ${res.raw}`);
  return res.body;
}

export async function createLot(
  app: TestApp,
  token: string,
  reagent: { kind?: string; intendedSource?: 'cell_culture_media' | 'serum' | 'any'; name?: string },
  lot: { expiryDate?: string; receivedDate?: string } = {},
): Promise<{ id: string; reagentId: string; lotNumber: string }> {
  const r = await app.request('POST', '/reagents', {
    token,
    body: { name: reagent.name ?? 'Total Exosome Isolation (from cell culture media)', manufacturer: 'Invitrogen', catalogueNumber: `C${unique()}`, kind: reagent.kind ?? 'precipitation', intendedSource: reagent.intendedSource ?? 'cell_culture_media' },
  });
  if (r.status !== 201) throw new Error(`reagent: ${r.status} ${r.raw}`);
  const l = await app.request('POST', `/reagents/${r.body.id}/lots`, { token, body: { lotNumber: `L${unique()}`, expiryDate: lot.expiryDate ?? '2099-12-31', receivedDate: lot.receivedDate ?? '2026-01-01' } });
  if (l.status !== 201) throw new Error(`lot: ${l.status} ${l.raw}`);
  return l.body;
}

export function cellCultureHarvest(productId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    productId,
    sourceType: 'cell_culture_media',
    originClass: 'human_cell_derived',
    harvestedAt: new Date(Date.now() - 3600_000).toISOString(),
    cellCulture: { producingCellType: 'msc', sourceTissue: 'adipose', passageNumber: 4, confluencePercent: 85, cultureDays: 3, mediaVolumeMl: 500, evDepletedMedia: true },
    ...over,
  };
}

export function serumHarvest(productId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    productId,
    sourceType: 'serum',
    originClass: 'human_serum',
    harvestedAt: new Date(Date.now() - 3600_000).toISOString(),
    serum: { donorPseudonym: 'DNR-7F3K2', consentReference: 'CONSENT-2026-0042', collectionDate: new Date(Date.now() - 86400_000).toISOString().slice(0, 10), volumeMl: 20, haemolysisCheck: 'passed' },
    ...over,
  };
}

export const spin = (over: Record<string, unknown> = {}) => ({ stepType: 'pre_clearing_spin', performedAt: new Date(Date.now() - 1800_000).toISOString(), parameters: { gForce: 2000, durationMinutes: 30, temperatureC: 4 }, ...over });
export const precipitation = (lotId: string, over: Record<string, unknown> = {}) => ({ stepType: 'precipitation', reagentLotId: lotId, performedAt: new Date(Date.now() - 1700_000).toISOString(), parameters: { sampleVolumeMl: 500, reagentVolumeMl: 250 }, ...over });

export const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

/** A product whose default (MISEV) specification has been signed effective by the given QA manager. */
export async function productWithEffectiveSpec(app: TestApp, qa: { token: string; password: string }): Promise<{ productId: string; specificationId: string }> {
  const product = await createProduct(app, qa.token);
  const draft = await app.request('POST', `/products/${product.id}/specifications`, { token: qa.token, body: { fromTemplate: 'misev-default' } });
  if (draft.status !== 201) throw new Error(`spec draft: ${draft.status} ${draft.raw}`);
  const approved = await app.request('POST', `/specifications/${draft.body.id}/approve`, { token: qa.token, body: { password: qa.password } });
  if (approved.status !== 200) throw new Error(`spec approve: ${approved.status} ${approved.raw}`);
  return { productId: product.id, specificationId: draft.body.id };
}

/** A batch that has completed isolation, ready for characterization. */
export async function isolatedBatch(app: TestApp, techToken: string, productId: string, options: { source?: 'cell_culture_media' | 'serum'; lotId?: string } = {}): Promise<string> {
  const source = options.source ?? 'cell_culture_media';
  const lotId = options.lotId ?? (await createLot(app, techToken, { intendedSource: source })).id;
  const created = await app.request('POST', '/batches', { token: techToken, body: source === 'serum' ? serumHarvest(productId) : cellCultureHarvest(productId) });
  if (created.status !== 201) throw new Error(`harvest: ${created.status} ${created.raw}`);
  const id = created.body.id as string;
  for (const step of [spin(), precipitation(lotId, source === 'serum' ? { parameters: { sampleVolumeMl: 20, reagentVolumeMl: 4 } } : {})]) {
    const res = await app.request('POST', `/batches/${id}/isolation/steps`, { token: techToken, body: step });
    if (res.status !== 201) throw new Error(`step: ${res.status} ${res.raw}`);
  }
  const done = await app.request('POST', `/batches/${id}/isolation/complete`, { token: techToken, body: { yieldVolumeMl: 2 } });
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${done.raw}`);
  return id;
}

/** Result bodies that pass the default specification, per assay route. */
export const passingResults = (performedAt = hoursAgo(1)): Record<string, Record<string, unknown>> => ({
  nta: { performedAt, instrument: 'NanoSight NS300', data: { meanNm: 121.4, modeNm: 104.2, d10Nm: 78, d50Nm: 110, d90Nm: 198, concentrationPerMl: 3.1e11, dilutionFactor: 1000, videoCount: 5 } },
  em: { performedAt, data: { method: 'tem', morphology: 'cup_shaped', sizeRangeMinNm: 40, sizeRangeMaxNm: 160 } },
  'western-blot': { performedAt, data: { markers: [{ marker: 'CD63', result: 'present', bandSizeKda: 53 }, { marker: 'TSG101', result: 'present', bandSizeKda: 44 }, { marker: 'calnexin', result: 'absent' }, { marker: 'ApoA1', result: 'depleted' }, { marker: 'albumin', result: 'depleted' }, { marker: 'CD9', result: 'present' }] } },
  facs: { performedAt, data: { marker: 'CD63', percentPositive: 78.5, isotypeControlPercent: 2.1 } },
  protein: { performedAt, data: { method: 'micro_bca', concentrationUgPerMl: 120 } },
  'rna-isolation': { performedAt, data: { kitName: 'Total Exosome RNA and Protein Isolation', yieldNg: 350 } },
  bioanalyzer: { performedAt, data: { instrumentType: 'bioanalyzer', concentrationPgPerUl: 850, smallRnaFractionPercent: 62, smallRnaProfile: 'present' } },
  qpcr: { performedAt, data: { targets: [{ target: 'miR-16-5p', cq: 24.1, isReference: true }, { target: 'miR-21-5p', cq: 26.7, isReference: false }] } },
  sterility: { performedAt, data: { result: 'no_growth', method: 'USP <71>, 14 days' } },
  endotoxin: { performedAt, data: { euPerMl: 0.12, method: 'kinetic_chromogenic' } },
  mycoplasma: { performedAt, data: { result: 'negative', method: 'pcr' } },
});

/** Records a passing result for every assay of the default specification. */
export async function recordPassingResults(app: TestApp, techToken: string, batchId: string): Promise<void> {
  for (const [route, body] of Object.entries(passingResults())) {
    const res = await app.request('POST', `/batches/${batchId}/results/${route}`, { token: techToken, body });
    if (res.status !== 201) throw new Error(`${route}: ${res.status} ${res.raw}`);
  }
}

/** A released batch (all results pass, the gate passes, an uninvolved QA manager approves). Returns its id and lot number. */
export async function releasedBatch(app: TestApp, techToken: string, qa: { token: string; password: string }, productId: string, options: { source?: 'cell_culture_media' | 'serum' } = {}): Promise<{ batchId: string; lotNumber: string }> {
  const { eventually } = await import('./test-app.js');
  const batchId = await isolatedBatch(app, techToken, productId, options);
  await recordPassingResults(app, techToken, batchId);
  await eventually(async () => (await app.query(`SELECT state FROM batches WHERE id = $1`, [batchId]))[0].state === 'release_pending', 20000);
  await eventually(async () => (await app.request('GET', `/batches/${batchId}/release-checklist`, { token: qa.token })).body.stale === false, 20000);
  const res = await app.request('POST', `/batches/${batchId}/release/approve`, { token: qa.token, body: { password: qa.password } });
  if (res.status !== 200) throw new Error(`approve: ${res.status} ${res.raw}`);
  return { batchId, lotNumber: res.body.lotNumber };
}
