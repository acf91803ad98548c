import { randomBytes } from 'node:crypto';
import { hashSessionToken } from '#identity';
import type { Role } from '#platform';
import { ReleaseGateJob } from '#release';
import { createLot, isolatedBatch, passingResults, productWithEffectiveSpec, recordPassingResults } from '../../support/fixtures.js';
import { postForm } from '../../support/multipart.js';
import type { TestApp } from '../../support/test-app.js';
import { createUser, signInAs, type TestUser } from '../../support/users.js';
import type { KnownIds } from './openapi-fuzz.js';

export type Caller = Role | 'anonymous';
export const CALLERS: Caller[] = ['anonymous', 'technician', 'qa_manager', 'admin', 'clinic'];

/** A 1×1 PNG. */
export const TINY_PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e1e0d20000000049454e44ae426082', 'hex');

/**
 * Real records in every state the routes care about, built through HTTP without a worker (the
 * release gate is evaluated by calling its job directly), so nothing writes in the background.
 */
export interface World {
  users: Record<Role, TestUser & { token: string }>;
  known: KnownIds;
  batches: { isolated: string; pending: string; released: string };
  lotNumber: string;
  /** A real value for a body or query field, by its name (productId, boxId, serial ...). */
  byField: Record<string, string>;
}

export async function buildWorld(app: TestApp): Promise<World> {
  const qa = await signInAs(app, 'qa_manager');
  const tech = await signInAs(app, 'technician');
  const admin = await signInAs(app, 'admin');
  const clinic = await signInAs(app, 'clinic');
  const victim = await createUser(app, { role: 'technician' });
  const gate = app.app.get(ReleaseGateJob);
  const ok = <T extends { status: number; raw: string }>(res: T, what: string): T => {
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.raw}`);
    return res;
  };

  const { productId, specificationId } = await productWithEffectiveSpec(app, qa);
  const draft = ok(await app.request('POST', `/products/${productId}/specifications`, { token: qa.token, body: { fromTemplate: 'misev-default' } }), 'draft spec');
  const lot = await createLot(app, tech.token, { intendedSource: 'cell_culture_media' });

  const isolated = await isolatedBatch(app, tech.token, productId, { lotId: lot.id });
  const pending = await isolatedBatch(app, tech.token, productId, { lotId: lot.id });
  await recordPassingResults(app, tech.token, pending);
  await gate.evaluate(pending);
  const released = await isolatedBatch(app, tech.token, productId, { lotId: lot.id });
  await recordPassingResults(app, tech.token, released);
  await gate.evaluate(released);
  const approval = ok(await app.request('POST', `/batches/${released}/release/approve`, { token: qa.token, body: { password: qa.password } }), 'release');
  const lotNumber = approval.body.lotNumber as string;

  // An out-of-specification result opens an investigation.
  const oos = ok(await app.request('POST', `/batches/${isolated}/results/endotoxin`, { token: tech.token, body: { ...passingResults().endotoxin, data: { euPerMl: 90, method: 'kinetic_chromogenic' } } }), 'oos result');
  const investigations = ok(await app.request('GET', `/investigations?batchId=${isolated}`, { token: qa.token }), 'investigations').body;
  const investigationIds = (Array.isArray(investigations) ? investigations : investigations.items ?? []).map((i: { id: string }) => i.id);
  const image = ok(await postForm(app, `/batches/${isolated}/files`, tech.token, {}, { filename: 'em.png', content: TINY_PNG }), 'image');

  // Storage, vials, a logger, a shipment.
  const unique = () => randomBytes(3).toString('hex').toUpperCase();
  const site = ok(await app.request('POST', '/storage/sites', { token: tech.token, body: { code: `S-${unique()}`, name: 'Main lab' } }), 'site').body;
  const freezer = ok(await app.request('POST', '/storage/freezers', { token: tech.token, body: { siteId: site.id, code: `ULT-${unique()}`, name: 'ULT', setPointC: -80, alarmHighC: -60, graceSeconds: 1800, maxGapSeconds: 3600 } }), 'freezer').body;
  const rack = ok(await app.request('POST', `/storage/freezers/${freezer.id}/racks`, { token: tech.token, body: { code: 'R1' } }), 'rack').body;
  const box = ok(await app.request('POST', `/storage/racks/${rack.id}/boxes`, { token: tech.token, body: { code: `BOX-${unique()}`, rows: 9, cols: 9 } }), 'box').body;
  const fill = ok(await app.request('POST', `/batches/${released}/fills`, { token: tech.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-2611-07', vials: [{ volumeMl: 0.5 }, { volumeMl: 0.5 }, { volumeMl: 0.5 }] } }), 'fill').body;
  const serials: string[] = fill.vials.map((v: { serial: string }) => v.serial);
  ok(await app.request('POST', '/storage/store', { token: tech.token, body: { serial: serials[0], boxId: box.id, row: 1, col: 1 } }), 'store');
  const logger = ok(await app.request('POST', '/loggers', { token: tech.token, body: { code: `TL-${unique()}`, kind: 'freezer', freezerId: freezer.id } }), 'logger').body;
  const shipment = ok(await app.request('POST', '/shipments', { token: tech.token, body: { clinicId: clinic.clinicId } }), 'shipment').body;

  const signatures = ok(await app.request('GET', '/signatures', { token: qa.token }), 'signatures').body;
  const signatureIds = (Array.isArray(signatures) ? signatures : signatures.items ?? []).map((s: { id: string }) => s.id);
  const [result] = await app.query(`SELECT id FROM assay_results WHERE batch_id = $1 LIMIT 1`, [isolated]);

  const batchIds = [isolated, pending, released];
  const pathIds: Record<string, string[]> = {
    'batches.id': batchIds,
    'results.resultId': [result.id],
    'products.id': [productId],
    'products.productId': [productId],
    'specifications.id': [specificationId, draft.body.id],
    'users.id': [victim.id],
    'signatures.id': signatureIds.slice(0, 3),
    'reagents.id': [lot.reagentId],
    'reagent-lots.id': [lot.id],
    'investigations.id': investigationIds,
    'instrument-files.id': [image.body.id],
    'freezers.id': [freezer.id],
    'racks.id': [rack.id],
    'boxes.id': [box.id],
    'fills.id': [fill.id],
    'vials.serial': serials,
    'loggers.id': [logger.logger.id],
    'shipments.id': [shipment.id],
    'queues.queue': ['batch-derived'],
    'verify.code': [lotNumber, serials[1]],
    '10.lot': [lotNumber],
    '21.serial': serials,
  };
  const anyIds = [...new Set([productId, specificationId, lot.id, lot.reagentId, ...batchIds, oos.body.id, image.body.id, site.id, freezer.id, rack.id, box.id, fill.id, logger.logger.id, shipment.id, clinic.clinicId!, victim.id])];
  return {
    users: { qa_manager: qa, technician: tech, admin, clinic },
    known: { pathIds, anyIds, strings: [...serials, lotNumber, victim.email, qa.email] },
    batches: { isolated, pending, released },
    lotNumber,
    byField: {
      productId, specificationId, batchId: isolated, reagentId: lot.reagentId, reagentLotId: lot.id, lotId: lot.id, clinicId: clinic.clinicId!, siteId: site.id, freezerId: freezer.id,
      rackId: rack.id, boxId: box.id, fillId: fill.id, loggerId: logger.logger.id, shipmentId: shipment.id, serial: serials[2], lotNumber, userId: victim.id, resultId: result.id,
      investigationId: investigationIds[0], instrumentFileId: image.body.id,
    },
  };
}

/** A new session for the user, straight into the table (a sign-out by a fuzzed request then spoils nothing). */
export async function freshToken(app: TestApp, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await app.query(`INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')`, [userId, hashSessionToken(token)]);
  return token;
}
