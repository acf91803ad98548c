import { randomUUID } from 'node:crypto';
import { type HttpResult, TestApp } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { signIn, signInAs } from '../support/users.js';
import { cellCultureHarvest, createProduct } from '../support/fixtures.js';

/**
 * Idempotency-Key on commands, through HTTP: a retried harvest opens one batch, whatever the
 * retry looks like (sequential, concurrent, after a refusal, by another user, after expiry).
 */
describe('Idempotency-Key on commands', () => {
  let app: TestApp;
  let tech: string;
  let techId: string;
  let productId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false, env: { IDEMPOTENCY_TTL_HOURS: '2' } });
    const user = await signInAs(app, 'technician');
    [tech, techId] = [user.token, user.id];
    productId = (await createProduct(app, await signIn(app, 'qa_manager'))).id;
  });
  afterAll(() => app?.close());

  const harvest = (key: string, body: Record<string, unknown>, token = tech) => app.request('POST', '/batches', { token, body, headers: { 'idempotency-key': key } });
  const counts = async () => {
    const [row] = await app.query(`SELECT (SELECT count(*) FROM batches)::int AS batches, (SELECT count(*) FROM harvests)::int AS harvests, (SELECT count(*) FROM audit_events)::int AS audit, (SELECT count(*) FROM idempotency_keys)::int AS keys`);
    return row as { batches: number; harvests: number; audit: number; keys: number };
  };
  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };

  it('runs a harvest once: a retry gets the same answer, marked replayed, and writes nothing', async () => {
    const key = randomUUID();
    const body = cellCultureHarvest(productId);
    const before = await counts();
    const first = await harvest(key, body);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const afterFirst = await counts();
    expect(afterFirst).toEqual({ batches: before.batches + 1, harvests: before.harvests + 1, audit: before.audit + 3, keys: before.keys + 1 });

    // The same request again, then with its members in another order (the same request, canonically).
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    for (const retryBody of [body, reordered]) {
      const retry = await harvest(key, retryBody);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.raw).toBe(first.raw);
      expect(retry.headers['content-type']).toBe(first.headers['content-type']);
    }
    expect(await counts()).toEqual(afterFirst);
    const audit = await app.query(`SELECT action FROM audit_events WHERE entity_id = $1 OR entity_id = $2 ORDER BY seq`, [first.body.id, first.body.harvest.id]);
    expect(audit.map((a) => a.action)).toEqual(['batch.record_harvest', 'batch.created', 'harvest.recorded']);
    const [stored] = await app.query(
      `SELECT scope, method, path, request_hash, response_status, response_body, round(extract(epoch FROM expires_at - created_at))::int AS ttl FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(stored).toMatchObject({ scope: `user:${techId}`, method: 'POST', path: '/batches', response_status: 201, response_body: first.raw, ttl: 2 * 3600 });
    expect(stored.request_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses the same key with a different body (422 idempotency.key_reused) and writes nothing', async () => {
    const key = randomUUID();
    expect((await harvest(key, cellCultureHarvest(productId))).status).toBe(201);
    const before = await counts();
    const other = await harvest(key, cellCultureHarvest(productId, { notes: 'a different harvest' }));
    expectProblem(other, 422, 'idempotency.key_reused');
    expect(other.body.header).toBe('Idempotency-Key');
    expect(other.body.detail).toContain('Idempotency-Key');
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    const otherPath = await app.request('POST', '/reagents', { token: tech, headers: { 'idempotency-key': key }, body: { name: 'x' } });
    expectProblem(otherPath, 422, 'idempotency.key_reused');
    expect(await counts()).toEqual(before);
  });

  it('keeps keys per user: another user with the same key gets an execution of its own', async () => {
    const key = randomUUID();
    const body = cellCultureHarvest(productId);
    const mine = await harvest(key, body);
    const other = await signIn(app, 'technician');
    const theirs = await harvest(key, body, other);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
    const rows = await app.query(`SELECT scope FROM idempotency_keys WHERE key = $1 ORDER BY created_at`, [key]);
    expect(rows).toHaveLength(2);
  });

  it('does not use the key up on a refusal: before the transaction (400) or inside it (422, rolled back)', async () => {
    const key = randomUUID();
    const before = await counts();
    const invalid = await harvest(key, cellCultureHarvest(productId, { harvestedAt: '2099-01-01T00:00:00Z' }));
    expectProblem(invalid, 400, 'validation.failed');
    // Refused inside the command's transaction, after the claim was written: the claim rolls back too.
    const unknownProduct = await harvest(key, cellCultureHarvest(randomUUID()));
    expectProblem(unknownProduct, 422, 'product.unknown');
    expect(await counts()).toEqual(before);

    const fixed = await harvest(key, cellCultureHarvest(productId));
    expect(fixed.status).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(await counts()).toMatchObject({ batches: before.batches + 1, keys: before.keys + 1 });
  });

  it('lets two concurrent requests with one key make exactly one batch; the other is replayed or told it is in progress', async () => {
    for (let round = 0; round < 4; round++) {
      const key = randomUUID();
      const body = cellCultureHarvest(productId);
      const before = await counts();
      let pair: HttpResult[];
      if (testEnv.databaseUrl && round % 2 === 0) {
        // Hold both before their claim (SHARE blocks INSERT, not SELECT): both pass the look-up, then race
        // on the unique key inside their transactions.
        const blocker = await app.sql.connect();
        try {
          await blocker.query(`BEGIN; LOCK TABLE idempotency_keys IN SHARE MODE`);
          const pending = Promise.all([harvest(key, body), harvest(key, body)]);
          await waitFor(async () => (await app.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'idempotency_keys'::regclass AND NOT granted`))[0].n === 2);
          await blocker.query('COMMIT');
          pair = await pending;
        } finally {
          blocker.release();
        }
      } else {
        pair = await Promise.all([harvest(key, body), harvest(key, body)]);
      }
      const statuses = pair.map((r) => r.status);
      expect(statuses.every((s) => s < 500)).toBe(true);
      const executed = pair.filter((r) => r.status === 201 && !r.headers['idempotent-replayed']);
      expect(executed).toHaveLength(1);
      const other = pair.find((r) => r !== executed[0])!;
      if (other.status === 201) expect([other.headers['idempotent-replayed'], other.raw]).toEqual(['true', executed[0].raw]);
      else expectProblem(other, 409, 'idempotency.in_progress');
      expect(await counts()).toMatchObject({ batches: before.batches + 1, harvests: before.harvests + 1, audit: before.audit + 3 });
      const later = await harvest(key, body);
      expect([later.status, later.headers['idempotent-replayed'], later.raw]).toEqual([201, 'true', executed[0].raw]);
    }
  });

  it('forgets a key once it has expired, and purges expired keys when later answers are written', async () => {
    const key = randomUUID();
    const body = cellCultureHarvest(productId);
    const first = await harvest(key, body);
    const stale = randomUUID();
    expect((await harvest(stale, cellCultureHarvest(productId))).status).toBe(201);
    const expire = (k: string) => app.query(`UPDATE idempotency_keys SET created_at = now() - interval '3 hours', expires_at = now() - interval '1 hour' WHERE key = $1`, [k]);
    await expire(key);
    await expire(stale);

    // Expired: the same request runs again (a new batch), and the key is claimed afresh.
    const again = await harvest(key, body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body.id).not.toBe(first.body.id);
    const [row] = await app.query(`SELECT response_status, expires_at > now() AS live FROM idempotency_keys WHERE key = $1`, [key]);
    expect(row).toEqual({ response_status: 201, live: true });
    // Writing that answer purged the other expired key.
    expect(await app.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [stale])).toEqual([]);
    expect(await app.query(`SELECT 1 FROM idempotency_keys WHERE expires_at <= now()`)).toEqual([]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
