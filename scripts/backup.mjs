#!/usr/bin/env node
// Backs up Exolot's data (see README, "Backup and restore").
//
//   npm run backup -- [output]
//
// With DATABASE_URL: one consistent pg_dump (custom format) of the whole database: the
// application schema and, when the queue runs on PostgreSQL (no REDIS_URL), its bullmq schema,
// so queued jobs stay consistent with the outbox. Default output: backups/exolot-<UTC time>.dump.
//
// Without DATABASE_URL (the embedded default): a copy of DATA_DIR (default ./data), taken only
// while the service is stopped (pg_dump 15 cannot read PGlite's PostgreSQL 18, and a running
// PGlite's files are not consistent on disk). Default output: backups/exolot-data-<UTC time>/.
//
// The file or folder appears under its final name only once complete (written as *.partial,
// then renamed). Prints the output path and, for a dump, its SHA-256.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { libpqTarget } from './libpq-target.mjs';

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const [output] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (process.argv.includes('--help')) {
  console.log('Usage: npm run backup -- [output]   (DATABASE_URL set: pg_dump; unset: copy of DATA_DIR while stopped)');
  process.exit(0);
}

function fail(message, code = 1) {
  console.error(`backup: ${message}`);
  process.exit(code);
}

function sha256(file) {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(1 << 20);
  for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  fs.closeSync(fd);
  return hash.digest('hex');
}

function backupPostgres(url) {
  const out = path.resolve(output ?? path.join('backups', `exolot-${stamp}.dump`));
  if (fs.existsSync(out)) fail(`${out} already exists; choose another name`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  const { dbname, env } = libpqTarget(url);
  const dump = spawnSync(process.env.PG_DUMP ?? 'pg_dump', ['--format=custom', '--compress=6', '--file', partial, '--dbname', dbname], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (dump.error) fail(`could not run pg_dump (${dump.error.message}); install the PostgreSQL client tools or set PG_DUMP`);
  if (dump.status !== 0) {
    fs.rmSync(partial, { force: true });
    fail(`pg_dump failed with exit code ${dump.status}`);
  }
  // A dump pg_restore cannot list is no backup.
  const list = spawnSync(process.env.PG_RESTORE ?? 'pg_restore', ['--list', partial], { encoding: 'utf8' });
  if (list.status !== 0 || !/TABLE DATA public audit_events/.test(list.stdout)) {
    fs.rmSync(partial, { force: true });
    fail(`the dump could not be read back (${list.stderr || 'no audit_events data'})`);
  }
  fs.renameSync(partial, out);
  console.log(`backup: wrote ${out} (${fs.statSync(out).size} bytes, sha256 ${sha256(out)})`);
}

/** The embedded database holds a lock file with its pid while it runs (libs/platform/src/database/embedded-postgres.ts). */
function holder(dataDir) {
  for (const lock of fs.existsSync(dataDir) ? fs.readdirSync(dataDir).filter((f) => f.endsWith('.lock')) : []) {
    const pid = Number(fs.readFileSync(path.join(dataDir, lock), 'utf8'));
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      return { lock, pid };
    } catch (error) {
      if (error.code === 'EPERM') return { lock, pid };
    }
  }
  return null;
}

function backupEmbedded() {
  const dataDir = path.resolve(process.env.DATA_DIR || './data');
  if (!fs.existsSync(path.join(dataDir, 'pg'))) fail(`${dataDir} holds no embedded database (no pg/ folder); set DATA_DIR, or DATABASE_URL for PostgreSQL`);
  const running = holder(dataDir);
  if (running) fail(`the service (pid ${running.pid}) is using ${dataDir}; stop it first: the embedded database is copied only while stopped`, 2);
  const out = path.resolve(output ?? path.join('backups', `exolot-data-${stamp}`));
  if (fs.existsSync(out)) fail(`${out} already exists; choose another name`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(dataDir, partial, { recursive: true, filter: (source) => !source.endsWith('.lock') });
  // Started while we copied? Then the copy may be torn.
  if (holder(dataDir)) {
    fs.rmSync(partial, { recursive: true, force: true });
    fail('the service started while copying; stop it and run the backup again', 2);
  }
  fs.renameSync(partial, out);
  console.log(`backup: copied ${dataDir} to ${out}`);
}

if (process.env.DATABASE_URL) backupPostgres(process.env.DATABASE_URL);
else backupEmbedded();
