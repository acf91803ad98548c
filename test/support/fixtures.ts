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
