import fs from 'node:fs';
import pg from 'pg';

export default async function globalTeardown() {
  if (process.env.DATABASE_URL && process.env.EXOLOT_TEST_TEMPLATE_DB) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${process.env.EXOLOT_TEST_TEMPLATE_DB} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  } else if (process.env.EXOLOT_TEST_TEMPLATE_DIR) {
    fs.rmSync(process.env.EXOLOT_TEST_TEMPLATE_DIR, { recursive: true, force: true });
  }
}
