import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Key claims of commands. A claim is written in the command's own transaction
 * (so "key recorded" ⇔ "command committed"), its answer by a follow-up write after commit.
 * Not a regulated record: the application updates (the answer) and deletes (expired keys).
 */
export class IdempotencyKeys1764000000700 implements MigrationInterface {
  name = 'IdempotencyKeys1764000000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL CHECK (scope ~ '^(user|logger):[0-9a-f-]{36}$'),
        key text NOT NULL CHECK (key ~ '^[!-~]{1,255}$'),
        method text NOT NULL CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
        path text NOT NULL CHECK (length(path) BETWEEN 1 AND 8192),
        request_hash text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
        request_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        responded_at timestamptz NULL,
        response_status smallint NULL CHECK (response_status BETWEEN 100 AND 599),
        response_body text NULL,
        PRIMARY KEY (scope, key),
        CONSTRAINT idempotency_keys_expiry_after_creation CHECK (expires_at > created_at),
        CONSTRAINT idempotency_keys_answer_when_responded CHECK (response_status IS NULL OR responded_at IS NOT NULL),
        CONSTRAINT idempotency_keys_body_has_status CHECK (response_body IS NULL OR response_status IS NOT NULL)
      );
      CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exolot_app') THEN
          GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO exolot_app;
        END IF;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS idempotency_keys`);
  }
}
