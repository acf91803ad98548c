#!/usr/bin/env node
// Restores an Exolot backup into a NEW, empty target (see README, "Backup and restore").
//
//   npm run restore -- <backup.dump> <postgres://user@host:5432/new_database>
//   npm run restore -- <backup-folder> <new DATA_DIR>          (embedded default)
//
// PostgreSQL: the target database is created when it does not exist, and refused unless it is
// empty. pg_restore runs in one transaction (all or nothing), without the source's ownership (the
// restoring role owns the objects, as the migrating role would) but with its grants, so the
// application role exolot_app keeps read + append-only rights on the regulated tables. The role
// is created (NOLOGIN) when missing. Triggers, checks and the hash chain come back as they were.
//
// Embedded: the backup folder is copied to the new DATA_DIR, which must not exist or be empty.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { libpqTarget } from './libpq-target.mjs';

const [backup, target] = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function fail(message, code = 1) {
  console.error(`restore: ${message}`);
  process.exit(code);
}

if (!backup || !target) fail('usage: npm run restore -- <backup.dump | backup-folder> <postgres://…/new_database | new DATA_DIR>', 64);
if (!fs.existsSync(backup)) fail(`${backup} does not exist`);

async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Opens the target, creating the database on its server when it does not exist yet. */
async function openTarget(url) {
  try {
    return await connect(url);
  } catch (error) {
    if (error.code !== '3D000') throw error;
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) fail(`will not create a database named "${name}": use letters, digits and _`);
    const maintenance = new URL(url);
    maintenance.pathname = '/postgres';
    const admin = await connect(maintenance.toString());
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
      console.log(`restore: created database ${name}`);
    } finally {
      await admin.end();
    }
    return connect(url);
  }
}

async function restorePostgres() {
  const list = spawnSync(process.env.PG_RESTORE ?? 'pg_restore', ['--list', backup], { encoding: 'utf8' });
  if (list.error) fail(`could not run pg_restore (${list.error.message}); install the PostgreSQL client tools or set PG_RESTORE`);
  if (list.status !== 0) fail(`${backup} is not a pg_dump custom-format archive: ${list.stderr.trim()}`);
  const client = await openTarget(target);
  try {
    const [{ relations }] = (
      await client.query(`SELECT count(*)::int AS relations FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`)
    ).rows;
    const [{ extensions }] = (await client.query(`SELECT count(*)::int AS extensions FROM pg_extension WHERE extname <> 'plpgsql'`)).rows;
    if (relations > 0 || extensions > 0) fail(`the target database is not empty (${relations} relations, ${extensions} extensions): restore only into a new database`, 3);
    const [{ exists }] = (await client.query(`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exolot_app') AS exists`)).rows;
    if (!exists) {
      await client.query('CREATE ROLE exolot_app NOLOGIN').then(
        () => console.log('restore: created role exolot_app (NOLOGIN); grant it to the API login role'),
        (error) => console.warn(`restore: role exolot_app is missing and could not be created (${error.message}); its grants will fail`),
      );
    }
  } finally {
    await client.end();
  }
  const { dbname, env } = libpqTarget(target);
  const restore = spawnSync(process.env.PG_RESTORE ?? 'pg_restore', ['--single-transaction', '--exit-on-error', '--no-owner', '--dbname', dbname, backup], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (restore.status !== 0) fail(`pg_restore failed with exit code ${restore.status}; nothing was restored (one transaction)`);
  const check = await connect(target);
  try {
    const [{ events }] = (await check.query('SELECT count(*)::int AS events FROM audit_events')).rows;
    console.log(`restore: restored ${backup} into ${new URL(target).pathname.slice(1)} (${events} audit events); verify with GET /audit/verify`);
  } finally {
    await check.end();
  }
}

function restoreEmbedded() {
  if (!fs.statSync(backup).isDirectory() || !fs.existsSync(path.join(backup, 'pg'))) fail(`${backup} is not an embedded backup folder (no pg/ inside)`);
  const dest = path.resolve(target);
  if (fs.existsSync(dest) && fs.readdirSync(dest).length > 0) fail(`${dest} is not empty: restore only into a new DATA_DIR`, 3);
  const partial = `${dest}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(backup, partial, { recursive: true, filter: (source) => !source.endsWith('.lock') });
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(partial, dest);
  console.log(`restore: copied ${backup} to ${dest}; start the service with DATA_DIR=${dest}`);
}

if (/^postgres(ql)?:\/\//.test(target)) {
  restorePostgres().catch((error) => fail(error.message));
} else {
  restoreEmbedded();
}
