import { randomBytes, randomInt } from 'node:crypto';
import { gtinCheckDigit } from '#storage';
import { createProduct, releasedBatch } from '../support/fixtures.js';
import type { TestApp } from '../support/test-app.js';

const unique = () => randomBytes(3).toString('hex').toUpperCase();

/** A random GTIN-14 with a valid check digit. */
export function randomGtin(): string {
  const body = Array.from({ length: 13 }, () => randomInt(10)).join('');
  return `${body}${gtinCheckDigit(body)}`;
}

/** A product (with a GTIN unless told otherwise) whose default specification QA has signed effective. */
export async function labelledProduct(app: TestApp, qa: { token: string; password: string }, over: Record<string, unknown> = {}): Promise<{ productId: string; gtin: string | null }> {
  const { gtin: wanted, ...rest } = over;
  const gtin = wanted === null ? null : ((wanted as string | undefined) ?? randomGtin());
  const product = await createProduct(app, qa.token, { shelfLifeDays: 180, ...rest, ...(gtin ? { gtin } : {}) });
  const draft = await app.request('POST', `/products/${product.id}/specifications`, { token: qa.token, body: { fromTemplate: 'misev-default' } });
  if (draft.status !== 201) throw new Error(`spec draft: ${draft.status} ${draft.raw}`);
  const approved = await app.request('POST', `/specifications/${draft.body.id}/approve`, { token: qa.token, body: { password: qa.password } });
  if (approved.status !== 200) throw new Error(`spec approve: ${approved.status} ${approved.raw}`);
  return { productId: product.id, gtin };
}

export { releasedBatch };

/** Site → freezer → rack → box, through the API. */
export async function freezerWithBox(app: TestApp, token: string, over: { alarmHighC?: number; graceSeconds?: number; maxGapSeconds?: number; rows?: number; cols?: number } = {}) {
  const site = await app.request('POST', '/storage/sites', { token, body: { code: `S-${unique()}`, name: 'Main lab' } });
  if (site.status !== 201) throw new Error(`site: ${site.status} ${site.raw}`);
  const freezer = await app.request('POST', '/storage/freezers', {
    token,
    body: { siteId: site.body.id, code: `ULT-${unique()}`, name: 'Ultra-low freezer', setPointC: -80, alarmHighC: over.alarmHighC ?? -60, graceSeconds: over.graceSeconds ?? 1800, maxGapSeconds: over.maxGapSeconds ?? 3600 },
  });
  if (freezer.status !== 201) throw new Error(`freezer: ${freezer.status} ${freezer.raw}`);
  const rack = await app.request('POST', `/storage/freezers/${freezer.body.id}/racks`, { token, body: { code: 'R1' } });
  if (rack.status !== 201) throw new Error(`rack: ${rack.status} ${rack.raw}`);
  const box = await app.request('POST', `/storage/racks/${rack.body.id}/boxes`, { token, body: { code: `BOX-${unique()}`, rows: over.rows ?? 9, cols: over.cols ?? 9 } });
  if (box.status !== 201) throw new Error(`box: ${box.status} ${box.raw}`);
  return { siteId: site.body.id as string, freezerId: freezer.body.id as string, rackId: rack.body.id as string, boxId: box.body.id as string, boxCode: box.body.code as string };
}

/** Fills vials of the given volumes from a released batch; returns their serials. */
export async function fillVials(app: TestApp, token: string, batchId: string, volumes: number[], over: Record<string, unknown>[] = []): Promise<{ fillId: string; serials: string[] }> {
  const res = await app.request('POST', `/batches/${batchId}/fills`, {
    token,
    body: { solutionName: 'HA 1% reconstitution solution', solutionLot: 'HA-2611-07', vials: volumes.map((volumeMl, i) => ({ volumeMl, ...(over[i] ?? {}) })) },
  });
  if (res.status !== 201) throw new Error(`fill: ${res.status} ${res.raw}`);
  return { fillId: res.body.id, serials: res.body.vials.map((v: { serial: string }) => v.serial) };
}

export async function store(app: TestApp, token: string, serial: string, boxId: string, row: number, col: number): Promise<void> {
  const res = await app.request('POST', '/storage/store', { token, body: { serial, boxId, row, col } });
  if (res.status !== 201) throw new Error(`store: ${res.status} ${res.raw}`);
}

/** Registers a logger; returns its id and the key (shown once). */
export async function registerLogger(app: TestApp, token: string, body: { kind: 'freezer' | 'shipping'; freezerId?: string }): Promise<{ id: string; key: string; code: string }> {
  const res = await app.request('POST', '/loggers', { token, body: { code: `TL-${unique()}`, ...body } });
  if (res.status !== 201) throw new Error(`logger: ${res.status} ${res.raw}`);
  return { id: res.body.logger.id, key: res.body.key, code: res.body.logger.code };
}

export async function pushReadings(app: TestApp, key: string, readings: unknown[]) {
  return app.request('POST', '/temperature-readings', { headers: { authorization: `Logger ${key}` }, body: { readings } });
}

/** Readings every `stepSeconds` from `start`, with the given temperatures. */
export function series(start: number, stepSeconds: number, temps: number[]): { recordedAt: string; temperatureC: number }[] {
  return temps.map((temperatureC, i) => ({ recordedAt: new Date(start + i * stepSeconds * 1000).toISOString(), temperatureC }));
}
