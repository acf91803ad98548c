import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { hashPassword } from '#identity';
import { type AppConfig, EmbeddedPostgres, type Role } from '#platform';

export interface Credentials {
  email: string;
  password: string;
}

/**
 * Users straight into a test database before any process runs on it (fixtures, not audited, as
 * test/support/users.ts does), so a spawned process can be signed in to through its API. On the
 * embedded default the data folder is opened here and closed again: no process may hold it.
 */
export async function seedUsers<R extends Role>(config: AppConfig, roles: readonly R[]): Promise<Record<R, Credentials>> {
  let url = config.databaseUrl;
  let embedded: EmbeddedPostgres | undefined;
  if (!url) {
    embedded = new EmbeddedPostgres(path.join(config.dataDir, 'pg'));
    url = await embedded.start();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const users = {} as Record<R, Credentials>;
    for (const role of roles) {
      const user = { email: `${role}.${randomBytes(4).toString('hex')}@faults.test`, password: `pw-${randomBytes(12).toString('base64url')}` };
      await client.query(`INSERT INTO users (email, display_name, role, password_hash) VALUES ($1, $2, $3, $4)`, [user.email, `Faults ${role}`, role, await hashPassword(user.password)]);
      users[role] = user;
    }
    return users;
  } finally {
    await client.end();
    await embedded?.stop();
  }
}
