import { TestApp } from '../support/test-app.js';

describe('health and the error path', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ worker: true });
  });
  afterAll(() => app?.close());

  it('answers liveness without authentication', async () => {
    const res = await app.request('GET', '/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('reports readiness with the database, the queue backend and queue depth', async () => {
    const res = await app.request('GET', '/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.checks.database).toMatchObject({ status: 'up', outboxPending: expect.any(Number) });
    expect(res.body.checks.queue).toMatchObject({ status: 'up', backend: expect.any(String), queues: { 'batch-derived': expect.objectContaining({ failed: expect.any(Number), waiting: expect.any(Number) }) } });
  });

  it('echoes a well-formed request id and generates one otherwise', async () => {
    const echoed = await app.request('GET', '/health', { headers: { 'x-request-id': 'lab-pc-7.req-42' } });
    expect(echoed.headers['x-request-id']).toBe('lab-pc-7.req-42');
    const generated = await app.request('GET', '/health', { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a 404 problem+json carrying the request id', async () => {
    const res = await app.request('GET', '/no/such/route', { headers: { 'x-request-id': 'trace-1' } });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 404, code: 'route.not_found', requestId: 'trace-1', instance: '/no/such/route' });
  });

  it('refuses a body over the size limit with 413 problem+json', async () => {
    const res = await app.request('POST', '/auth/login', { payload: JSON.stringify({ email: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
