import { randomUUID } from 'node:crypto';
import { type HttpResult, TestApp } from '../support/test-app.js';
import { multipartBody } from '../support/multipart.js';
import { signIn, signInAs } from '../support/users.js';
import { cellCultureHarvest, createProduct } from '../support/fixtures.js';
import { pushReadings, registerLogger, series } from '../storage/support.js';

const TINY_PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e1e0d20000000049454e44ae426082', 'hex');

/**
 * What a retry hears when the first answer is not there (still running, or lost after commit),
 * the key's format, and the other callers and bodies keys apply to: loggers, file uploads, and
 * routes whose answer holds a secret (never stored).
 */
describe('Idempotency-Key: answers, machines and uploads', () => {
  let app: TestApp;
  let tech: string;
  let productId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    tech = (await signInAs(app, 'technician')).token;
    productId = (await createProduct(app, await signIn(app, 'qa_manager'))).id;
  });
  afterAll(() => app?.close());

  const harvest = (key: string, body: Record<string, unknown>) => app.request('POST', '/batches', { token: tech, body, headers: { 'idempotency-key': key } });
  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };

  it('tells a retry that the command is still being answered (409, retry-after), then that its answer is lost, with the records it made', async () => {
    const key = randomUUID();
    const body = cellCultureHarvest(productId);
    const first = await harvest(key, body);
    expect(first.status).toBe(201);
    const [{ n: batches }] = await app.query(`SELECT count(*)::int AS n FROM batches`);
    // As if the first request were still between its COMMIT and its answer.
    await app.query(`UPDATE idempotency_keys SET responded_at = NULL, response_status = NULL, response_body = NULL WHERE key = $1`, [key]);
    const running = await harvest(key, body);
    expectProblem(running, 409, 'idempotency.in_progress');
    expect(running.headers['retry-after']).toBe('1');

    // As if the answer had been lost (the database went away after COMMIT).
    await app.query(`UPDATE idempotency_keys SET responded_at = now() WHERE key = $1`, [key]);
    const lost = await harvest(key, body);
    expectProblem(lost, 409, 'idempotency.response_unavailable');
    expect(lost.body.detail).toMatch(/completed/);
    expect(lost.body.originalRequestId).toBe(first.headers['x-request-id']);
    expect(lost.body.resources).toEqual(expect.arrayContaining([{ type: 'batch', id: first.body.id }, { type: 'harvest', id: first.body.harvest.id }]));
    expect((await app.query(`SELECT count(*)::int AS n FROM batches`))[0].n).toBe(batches);
  });

  it('refuses a malformed key with 400 naming the header, before anything runs', async () => {
    const [{ n: before }] = await app.query(`SELECT (SELECT count(*) FROM batches) + (SELECT count(*) FROM idempotency_keys) AS n`);
    for (const key of ['has space', 'x'.repeat(256), 'ünïcode', '']) {
      const res = await harvest(key, cellCultureHarvest(productId));
      expectProblem(res, 400, 'idempotency.key_invalid');
      expect(res.body.header).toBe('Idempotency-Key');
    }
    expect((await harvest('x'.repeat(255), cellCultureHarvest(productId))).status).toBe(201);
    const [{ n: after }] = await app.query(`SELECT (SELECT count(*) FROM batches) + (SELECT count(*) FROM idempotency_keys) AS n`);
    expect(Number(after)).toBe(Number(before) + 2);
  });

  it('ignores the key on safe methods and on public routes', async () => {
    const key = randomUUID();
    expect((await app.request('GET', '/batches', { token: tech, headers: { 'idempotency-key': key } })).status).toBe(200);
    const user = await signInAs(app, 'technician');
    const login = () => app.request('POST', '/auth/login', { body: { email: user.email, password: user.password }, headers: { 'idempotency-key': key } });
    const [a, b] = [await login(), await login()];
    expect([a.status, b.status, b.headers['idempotent-replayed']]).toEqual([200, 200, undefined]);
    expect(a.body.token).not.toBe(b.body.token);
    expect(await app.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [key])).toEqual([]);
  });

  it('scopes a logger key by the logger: a retried upload of readings is answered as the first time', async () => {
    const keyOwner = await registerLogger(app, tech, { kind: 'shipping' });
    const readings = series(Date.now() - 600_000, 60, [4.1, 4.2, 4.3]);
    const key = randomUUID();
    const push = () => app.request('POST', '/temperature-readings', { headers: { authorization: `Logger ${keyOwner.key}`, 'idempotency-key': key }, body: { readings } });
    const first = await push();
    expect([first.status, first.body.stored, first.body.duplicates]).toEqual([200, 3, 0]);
    const retry = await push();
    expect([retry.status, retry.headers['idempotent-replayed'], retry.raw]).toEqual([200, 'true', first.raw]);
    // Without a key the same upload runs again and reports duplicates.
    expect((await pushReadings(app, keyOwner.key, readings)).body).toMatchObject({ stored: 0, duplicates: 3 });
    const [row] = await app.query(`SELECT scope FROM idempotency_keys WHERE key = $1`, [key]);
    expect(row.scope).toBe(`logger:${keyOwner.id}`);
  });

  it('never stores an answer that holds a secret: registering a logger with a key runs without it', async () => {
    const key = randomUUID();
    const code = `TL-${randomUUID().slice(0, 8)}`;
    const res = await app.request('POST', '/loggers', { token: tech, headers: { 'idempotency-key': key }, body: { code, kind: 'shipping' } });
    expect(res.status).toBe(201);
    expect(await app.query(`SELECT 1 FROM idempotency_keys WHERE key = $1 OR strpos(coalesce(response_body, ''), $2) > 0`, [key, res.body.key])).toEqual([]);
  });

  it('fingerprints an uploaded file: the same file again is replayed, another file with the key is refused', async () => {
    const batch = await harvest(randomUUID(), cellCultureHarvest(productId));
    const key = randomUUID();
    const upload = (content: Buffer) => postFormWithKey(`/batches/${batch.body.id}/files`, key, content);
    const first = await upload(TINY_PNG);
    expect(first.status).toBe(201);
    const retry = await upload(TINY_PNG);
    expect([retry.status, retry.headers['idempotent-replayed'], retry.raw]).toEqual([201, 'true', first.raw]);
    const other = await upload(Buffer.concat([TINY_PNG, Buffer.from([0])]));
    expectProblem(other, 422, 'idempotency.key_reused');
    expect((await app.query(`SELECT count(*)::int AS n FROM instrument_files WHERE batch_id = $1`, [batch.body.id]))[0].n).toBe(1);
  });

  function postFormWithKey(url: string, key: string, content: Buffer): Promise<HttpResult> {
    const { payload, headers } = multipartBody({}, [{ filename: 'em.png', content }]);
    return app.request('POST', url, { token: tech, payload, headers: { ...headers, 'idempotency-key': key } });
  }
});
