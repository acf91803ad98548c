import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Controller, Get, Header, Module, Post, Body } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { registerWebApp, WEB_APP_CSP } from '../../apps/api/src/web-static.js';
import { VERIFY_PAGE_CSP } from '../../libs/provenance/src/verify-page.js';
import { API_CSP, buildOpenApiDocument, ConfigError, createHttpApp, DOCS_CSP, HSTS, loadConfig, MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, MAX_URL_LENGTH, MULTIPART_LIMITS, Public } from '#platform';
import { isolatedBatch, productWithEffectiveSpec } from '../support/fixtures.js';
import { multipartBody, postForm } from '../support/multipart.js';
import { type HttpResult, TestApp } from '../support/test-app.js';
import { signInAs } from '../support/users.js';

/** The helmet-style headers every response carries, whoever answers it. */
const EVERYWHERE: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function headerProblems(label: string, res: { status: number; headers: Record<string, unknown> }, csp: string): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(EVERYWHERE)) if (res.headers[name] !== value) problems.push(`${label} (${res.status}): ${name} is ${String(res.headers[name])}`);
  if (res.headers['content-security-policy'] !== csp) problems.push(`${label} (${res.status}): content-security-policy is ${String(res.headers['content-security-policy'])}`);
  if ('access-control-allow-origin' in res.headers) problems.push(`${label}: access-control-allow-origin ${String(res.headers['access-control-allow-origin'])} with CORS off`);
  if ('strict-transport-security' in res.headers) problems.push(`${label}: HSTS over plain http`);
  if (!res.headers['x-request-id']) problems.push(`${label}: no x-request-id`);
  return problems;
}

describe('security headers, CORS and request limits', () => {
  let app: TestApp;
  let tech: string;
  let batchId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false, env: { INSTRUMENT_MAX_BYTES: String(64 * 1024) } });
    const qa = await signInAs(app, 'qa_manager');
    tech = (await signInAs(app, 'technician')).token;
    batchId = await isolatedBatch(app, tech, (await productWithEffectiveSpec(app, qa)).productId);
  }, 120_000);
  afterAll(() => app?.close());

  describe('headers', () => {
    it('puts the security headers and the API CSP on every route of the OpenAPI document, answered or refused, signed in or not', async () => {
      const problems: string[] = [];
      const document = buildOpenApiDocument(app.app);
      // Its own technician: POST /auth/logout in the sweep ends this session, not the one the other tests use.
      const sweeper = (await signInAs(app, 'technician')).token;
      let checked = 0;
      for (const [template, item] of Object.entries(document.paths)) {
        for (const method of Object.keys(item as object).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))) {
          const url = template.replace(/\{[^}]+\}/g, () => randomUUID());
          for (const token of [undefined, sweeper]) {
            const res = await app.request(method.toUpperCase(), url, { token, body: method === 'get' ? undefined : {} });
            checked += 1;
            // The public verify page (at /verify and the label's Digital Link) is HTML with a CSP of its own (an inline script by hash): it keeps it.
            const csp = String(res.headers['content-type']).startsWith('text/html') ? VERIFY_PAGE_CSP : API_CSP;
            if (csp === VERIFY_PAGE_CSP && !(template.startsWith('/verify') || template.startsWith('/01/'))) problems.push(`${method} ${template} answered HTML`);
            problems.push(...headerProblems(`${method.toUpperCase()} ${template}${token ? ' as technician' : ''}`, res, csp));
          }
        }
      }
      expect(problems).toEqual([]);
      expect(checked).toBeGreaterThan(200);
    });

    it('keeps the public /verify page its own CSP, and gives Swagger UI at /docs one that lets its scripts and styles run', async () => {
      const verify = await app.request('GET', '/verify');
      expect(verify.status).toBe(200);
      expect(headerProblems('/verify', verify, VERIFY_PAGE_CSP)).toEqual([]);
      const link = await app.request('GET', '/01/09506000134352/10/L0000-00000', { headers: { accept: 'text/html' } });
      expect(link.headers['content-security-policy']).toBe(VERIFY_PAGE_CSP);

      for (const url of ['/docs', '/docs/', '/docs/openapi.json', '/docs/swagger-ui-init.js']) {
        const res = await app.request('GET', url);
        expect(res.status).toBe(200);
        expect(headerProblems(url, res, DOCS_CSP)).toEqual([]);
      }
      // What the Swagger UI page loads, it loads from itself: scripts by URL (no inline script), styles inline and by URL.
      const page = (await app.request('GET', '/docs')).raw;
      expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(page).toMatch(/<script src="[^":]+"/);
      expect(DOCS_CSP).toContain("script-src 'self'");
      expect(DOCS_CSP).not.toMatch(/script-src[^;]*unsafe/);
    });

    it('answers unknown routes, over-long URLs and router refusals with the headers too', async () => {
      const cases: [string, string, number][] = [
        ['GET', '/no/such/route', 404],
        ['GET', `/batches/${'x'.repeat(200)}`, 414],
        ['GET', '/batches/%E0%A4%A', 400],
        ['GET', `/health?q=${'a'.repeat(MAX_URL_LENGTH)}`, 414],
        ['DELETE', '/batches', 404],
      ];
      const problems: string[] = [];
      for (const [method, url, status] of cases) {
        const res = await app.request(method, url);
        if (res.status !== status) problems.push(`${method} ${url.slice(0, 40)}: ${res.status}, expected ${status}`);
        if (!String(res.headers['content-type']).startsWith('application/problem+json')) problems.push(`${method} ${url.slice(0, 40)}: ${String(res.headers['content-type'])}`);
        else if (res.body.status !== status || res.body.requestId !== res.headers['x-request-id']) problems.push(`${method} ${url.slice(0, 40)}: body ${res.raw.slice(0, 200)}`);
        problems.push(...headerProblems(`${method} ${url.slice(0, 40)}`, res, API_CSP));
      }
      expect(problems).toEqual([]);
    });

    it('leaves the web app its CSP on its pages and its client-side routes, and adds the headers to its assets', async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'exolot-sec-web-'));
      mkdirSync(path.join(root, 'assets'));
      writeFileSync(path.join(root, 'index.html'), '<!doctype html><div id="root"></div>');
      writeFileSync(path.join(root, 'assets', 'app-1.js'), 'console.log(1)');
      const web = await tinyApp((a) => expect(registerWebApp(a, pino({ level: 'silent' }), root)).toBe(true));
      try {
        const index = await inject(web, 'GET', '/');
        expect(headerProblems('/', index, WEB_APP_CSP)).toEqual([]);
        const page = await inject(web, 'GET', '/batches/123', { accept: 'text/html' });
        expect(page.status).toBe(200);
        expect(headerProblems('/batches/123 (app route)', page, WEB_APP_CSP)).toEqual([]);
        const asset = await inject(web, 'GET', '/assets/app-1.js');
        expect(headerProblems('/assets/app-1.js', asset, API_CSP)).toEqual([]);
        const json = await inject(web, 'GET', '/things/1');
        expect(headerProblems('/things/1', json, API_CSP)).toEqual([]);
      } finally {
        await web.close();
        rmSync(root, { recursive: true, force: true });
      }
    });

    it('sends HSTS only for HTTPS: behind a trusted proxy (TRUST_PROXY=true) that says X-Forwarded-Proto: https', async () => {
      const plain = await tinyApp();
      const proxied = await tinyApp(undefined, { TRUST_PROXY: 'true' });
      try {
        expect((await inject(plain, 'GET', '/things/1')).headers['strict-transport-security']).toBeUndefined();
        // Without a trusted proxy a client cannot claim HTTPS.
        expect((await inject(plain, 'GET', '/things/1', { 'x-forwarded-proto': 'https' })).headers['strict-transport-security']).toBeUndefined();
        expect((await inject(proxied, 'GET', '/things/1')).headers['strict-transport-security']).toBeUndefined();
        expect((await inject(proxied, 'GET', '/things/1', { 'x-forwarded-proto': 'https' })).headers['strict-transport-security']).toBe(HSTS);
        expect((await inject(proxied, 'GET', '/nothing-here', { 'x-forwarded-proto': 'https' })).headers['strict-transport-security']).toBe(HSTS);
      } finally {
        await plain.close();
        await proxied.close();
      }
    });
  });

  describe('CORS', () => {
    it('is off by default: no Access-Control-Allow-Origin for any origin, and a preflight is a 404 problem', async () => {
      for (const origin of ['https://evil.example', 'http://127.0.0.1:3000', 'null']) {
        const get = await app.request('GET', '/health', { headers: { origin } });
        expect(get.status).toBe(200);
        expect(get.headers['access-control-allow-origin']).toBeUndefined();
        const refused = await app.request('POST', '/auth/login', { headers: { origin }, body: { email: 'a@b.c', password: 'x'.repeat(12) } });
        expect(refused.headers['access-control-allow-origin']).toBeUndefined();
        const preflight = await app.request('OPTIONS', '/batches', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
        expect(preflight.status).toBe(404);
        expect(preflight.headers['content-type']).toContain('application/problem+json');
        expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      }
      expect(app.config.corsOrigins).toEqual([]);
    });

    it('allows exactly the origins in CORS_ORIGINS, without credentials', async () => {
      const cors = await TestApp.start({ worker: false, env: { CORS_ORIGINS: 'https://lab.example.org, https://qa.example.org:8443' } });
      try {
        expect(cors.config.corsOrigins).toEqual(['https://lab.example.org', 'https://qa.example.org:8443']);
        const allowed = await cors.request('GET', '/health', { headers: { origin: 'https://lab.example.org' } });
        expect(allowed.headers['access-control-allow-origin']).toBe('https://lab.example.org');
        expect(String(allowed.headers.vary)).toMatch(/origin/i);
        expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
        expect(String(allowed.headers['access-control-expose-headers'])).toContain('x-request-id');
        const preflight = await cors.request('OPTIONS', '/batches', { headers: { origin: 'https://qa.example.org:8443', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
        expect(preflight.status).toBe(204);
        expect(preflight.headers['access-control-allow-origin']).toBe('https://qa.example.org:8443');
        expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
        for (const origin of ['https://evil.example', 'https://lab.example.org.evil.example', 'http://lab.example.org', 'null']) {
          const other = await cors.request('GET', '/health', { headers: { origin } });
          expect(other.headers['access-control-allow-origin']).toBeUndefined();
          const otherPreflight = await cors.request('OPTIONS', '/batches', { headers: { origin, 'access-control-request-method': 'POST' } });
          expect(otherPreflight.headers['access-control-allow-origin']).toBeUndefined();
        }
        // A refusal to an allowed origin is still readable by it, and still problem+json with the security headers.
        const refused = await cors.request('GET', '/batches', { headers: { origin: 'https://lab.example.org' } });
        expect(refused.status).toBe(401);
        expect(refused.headers['access-control-allow-origin']).toBe('https://lab.example.org');
        expect(refused.headers['x-frame-options']).toBe('DENY');
      } finally {
        await cors.close();
      }
    });

    it('refuses a wildcard or a malformed origin at boot', () => {
      for (const bad of ['*', 'https://lab.example.org/app', 'lab.example.org', 'ftp://lab.example.org', 'https://a.example,*']) {
        expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(ConfigError);
      }
      expect(loadConfig({ CORS_ORIGINS: 'https://a.example/, http://localhost:5173' }).corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
      expect(loadConfig({}).corsOrigins).toEqual([]);
    });
  });

  describe('limits', () => {
    it('refuses a JSON body over 1 MiB with 413, and reads one just under it', async () => {
      const pad = (size: number) => JSON.stringify({ email: 'a@b.c', password: 'p'.repeat(size) }).length;
      const under = 'p'.repeat(MAX_JSON_BODY_BYTES - pad(0) - 16);
      const ok = await app.request('POST', '/auth/login', { payload: JSON.stringify({ email: 'a@b.c', password: under }), headers: { 'content-type': 'application/json' } });
      expect(ok.status).toBe(400); // read and validated (too long a password), not refused for size
      expect(ok.body.code).toBe('validation.failed');
      const over = await app.request('POST', '/auth/login', { payload: JSON.stringify({ email: 'a@b.c', password: 'p'.repeat(MAX_JSON_BODY_BYTES) }), headers: { 'content-type': 'application/json' } });
      expect(over.status).toBe(413);
      expect(over.headers['content-type']).toContain('application/problem+json');
      expect(over.body.code).toBe('request.too_large');
    });

    it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels, and text PostgreSQL cannot store, with 400 problems`, async () => {
      const deep = await app.request('POST', '/batches', { token: tech, payload: `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`, headers: { 'content-type': 'application/json' } });
      expect(deep).toMatchObject({ status: 400, body: { code: 'request.malformed' } });
      const veryDeep = await app.request('POST', '/batches', { token: tech, payload: `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, headers: { 'content-type': 'application/json' } });
      expect(veryDeep.status).toBe(400);
      const nul = await app.request('POST', '/products', { token: tech, body: { code: 'EXO-1', name: 'a\u0000b' } });
      expect(nul).toMatchObject({ status: 400, body: { code: 'validation.failed', errors: [{ field: 'name', rule: 'wellFormedText' }] } });
      const surrogate = await app.request('GET', `/batches?batchNumber=${encodeURIComponent('x')}%ED%A0%80`, { token: tech });
      expect(surrogate.status).toBeLessThan(500);
      const nulInPath = await app.request('GET', '/vials/ABC%00DEF', { token: tech });
      expect(nulInPath).toMatchObject({ status: 400, body: { errors: [{ field: 'serial', rule: 'wellFormedText' }] } });
    });

    it(`refuses a URL longer than ${MAX_URL_LENGTH} characters with 414, in process and over a real socket`, async () => {
      const at = (length: number) => `/health?q=${'a'.repeat(length - '/health?q='.length)}`;
      expect((await app.request('GET', at(MAX_URL_LENGTH))).status).toBe(200);
      const over = await app.request('GET', at(MAX_URL_LENGTH + 1));
      expect(over).toMatchObject({ status: 414, body: { code: 'request.uri_too_long' } });

      const server = await tinyApp();
      try {
        await server.listen({ port: 0, host: '127.0.0.1' });
        const address = server.getHttpServer().address() as { port: number };
        const base = `http://127.0.0.1:${address.port}`;
        const fine = await fetch(`${base}/things/1?q=${'a'.repeat(100)}`);
        expect(fine.status).toBe(200);
        const long = await fetch(`${base}/things/1?q=${'a'.repeat(MAX_URL_LENGTH)}`);
        expect(long.status).toBe(414);
        expect(long.headers.get('content-type')).toContain('application/problem+json');
        expect(long.headers.get('x-content-type-options')).toBe('nosniff');
      } finally {
        await server.close();
      }
    });

    it('bounds multipart uploads: one file within INSTRUMENT_MAX_BYTES, a bounded number of fields, each field bounded', async () => {
      const limit = app.config.instrumentMaxBytes;
      const big = await postForm(app, '/instrument-files/parse', tech, {}, { filename: 'x.csv', content: Buffer.alloc(limit + 1, 0x41) });
      expect(big).toMatchObject({ status: 422, body: { code: 'instrument.too_large', limitBytes: limit } });

      const manyFields = Object.fromEntries(Array.from({ length: MULTIPART_LIMITS.fields + 1 }, (_, i) => [`f${i}`, 'x']));
      const fields = await postForm(app, '/instrument-files/parse', tech, manyFields, { filename: 'x.csv', content: Buffer.from('a') });
      expect(fields.status).toBe(400);
      expect(fields.headers['content-type']).toContain('application/problem+json');

      const longField = await postForm(app, '/instrument-files/parse', tech, { channel: 'c'.repeat(MULTIPART_LIMITS.fieldSize + 1) }, { filename: 'x.csv', content: Buffer.from('a') });
      expect(longField).toMatchObject({ status: 400, body: { errors: [{ field: 'channel', rule: 'maxLength' }] } });

      const two = multipartBody({}, [{ filename: 'a.png', content: Buffer.from('a') }, { filename: 'b.png', content: Buffer.from('b') }]);
      const twoFiles = await app.request('POST', `/batches/${batchId}/files`, { token: tech, ...two });
      expect(twoFiles.status).toBe(400);
      expect(twoFiles.headers['content-type']).toContain('application/problem+json');

      const nulField = await postForm(app, `/batches/${batchId}/results/import`, tech, { assay: 'nta', performedAt: new Date().toISOString(), instrument: 'a\u0000b' }, { filename: 'x.csv', content: Buffer.from('a') });
      expect(nulField).toMatchObject({ status: 400, body: { errors: [{ field: 'instrument', rule: 'wellFormedText' }] } });
    });
  });
});

// --- a minimal app built by createHttpApp (no database), for what TestApp cannot vary per test ---

@Controller('things')
class ThingsController {
  @Get(':id')
  @Public()
  get() {
    return { thing: true };
  }

  @Post()
  @Public()
  @Header('cache-control', 'no-store')
  create(@Body() body: unknown) {
    return body;
  }
}

@Module({ controllers: [ThingsController] })
class TinyModule {}

async function tinyApp(before?: (app: NestFastifyApplication) => void, env: Record<string, string> = {}): Promise<NestFastifyApplication> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const app = await createHttpApp(TinyModule, pino({ level: 'silent' }), { httpLogging: false });
    before?.(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function inject(app: NestFastifyApplication, method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const res = await app.getHttpAdapter().getInstance().inject({ method, url, headers });
  return { status: res.statusCode, headers: res.headers as never, body: res.body, raw: res.body };
}
