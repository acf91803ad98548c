import { TestApp } from '../support/test-app.js';

describe('rate limit on the public lookup', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await TestApp.start({ worker: false, env: { VERIFY_RATE_LIMIT_PER_MIN: '5' } });
  });
  afterAll(() => limited?.close());

  it('is rate limited per client address, with a 429 problem', async () => {
    // Windows are whole minutes: do not start within two seconds of the next one.
    const intoMinute = Date.now() % 60000;
    if (intoMinute > 58000) await new Promise((r) => setTimeout(r, 60000 - intoMinute + 100));
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await limited.request('GET', '/verify/L0000-00000')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const res = await limited.request('GET', '/verify/L0000-00000');
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('rate limit on sign-in', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ worker: false, env: { LOGIN_RATE_LIMIT_PER_MIN: '3' } });
  });
  afterAll(() => app?.close());

  it('limits password attempts per client address, before any password is checked', async () => {
    const intoMinute = Date.now() % 60000;
    if (intoMinute > 58000) await new Promise((r) => setTimeout(r, 60000 - intoMinute + 100));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.request('POST', '/auth/login', { body: { email: `nobody${i}@x.test`, password: 'wrong-password' } })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
