import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { ProblemDetailsFilter } from '#platform';
import { registerWebApp } from './web-static.js';

@Controller('things')
class ThingsController {
  @Get(':id')
  get() {
    return { thing: true };
  }
}

@Module({ controllers: [ThingsController] })
class TinyModule {}

describe('serving the web app from the API process', () => {
  let app: NestFastifyApplication;
  let root: string;
  const js = 'console.log("exolot");'.repeat(100);

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'exolot-web-'));
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(root, 'assets', 'app-abc123.js'), js);
    writeFileSync(path.join(root, 'assets', 'app-abc123.js.br'), brotliCompressSync(js));
    const logger = pino({ level: 'silent' });
    app = await NestFactory.create<NestFastifyApplication>(TinyModule, new FastifyAdapter(), { logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    expect(registerWebApp(app, logger, root)).toBe(true);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const inject = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') => app.getHttpAdapter().getInstance().inject({ method, url, headers });

  it('serves index.html at / with a content security policy and no caching', async () => {
    const res = await inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.body).toContain('<div id="root">');
  });

  it('serves hashed assets as immutable, precompressed when the browser accepts it', async () => {
    const plain = await inject('/assets/app-abc123.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toContain('text/javascript');
    expect(plain.headers['cache-control']).toContain('immutable');
    expect(plain.body).toBe(js);
    const br = await inject('/assets/app-abc123.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(Number(br.headers['content-length'])).toBeLessThan(js.length);
  });

  it('answers a browser navigation to an app page with the app, and anything else as before', async () => {
    const page = await inject('/lab/worklist', { accept: 'text/html,application/xhtml+xml' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root">');
    const json = await inject('/lab/worklist', { accept: 'application/json' });
    expect(json.statusCode).toBe(404);
    expect(json.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(json.body)).toMatchObject({ code: 'route.not_found' });
    const post = await inject('/lab/worklist', { accept: 'text/html' }, 'POST');
    expect(post.statusCode).toBe(404);
    // An API route keeps answering, whatever the Accept header says.
    const api = await inject('/things/1', { accept: 'text/html' });
    expect(api.statusCode).toBe(200);
    expect(JSON.parse(api.body)).toEqual({ thing: true });
  });

  it('does nothing when there is no build', () => {
    const warnings: unknown[] = [];
    expect(registerWebApp(app, { info: () => undefined, warn: (...args: unknown[]) => warnings.push(args) } as never, path.join(root, 'missing'))).toBe(false);
    expect(warnings).toHaveLength(1);
  });
});
