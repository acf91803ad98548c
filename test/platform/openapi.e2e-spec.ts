import fs from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '#platform';
import { TestApp } from '../support/test-app.js';

const COMMITTED = path.resolve('openapi.json');

/** Stable form: keys sorted, so the committed file diffs cleanly. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, stable((value as Record<string, unknown>)[k])]));
  return value;
}

describe('OpenAPI document', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
  });
  afterAll(() => app?.close());

  it('matches the committed openapi.json (run `npm run openapi` after changing routes or DTOs)', async () => {
    const generated = JSON.stringify(stable(buildOpenApiDocument(app.app)), null, 2) + '\n';
    if (process.env.UPDATE_OPENAPI === '1') fs.writeFileSync(COMMITTED, generated);
    expect(fs.existsSync(COMMITTED)).toBe(true);
    expect(JSON.parse(generated)).toEqual(JSON.parse(fs.readFileSync(COMMITTED, 'utf8')));
  });

  it('serves the same document at /docs/openapi.json and the UI at /docs', async () => {
    const json = await app.request('GET', '/docs/openapi.json');
    expect(json.status).toBe(200);
    expect(stable(json.body)).toEqual(JSON.parse(fs.readFileSync(COMMITTED, 'utf8')));
    const ui = await app.request('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(ui.raw).toMatch(/swagger/i);
  });
});
