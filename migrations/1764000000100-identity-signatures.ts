import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Electronic signatures (append-only, bound to a record hash) and the application role:
 * production connects as a login role that is a member of exolot_app, which may read and
 * append to the regulated tables but never update, delete or truncate them. Migrations run
 * as the owner. Users, clinics, sessions and audit_events come from the foundation migration.
 */
export class IdentitySignatures1764000000100 implements MigrationInterface {
  name = 'IdentitySignatures1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE signatures (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        signer_id uuid NOT NULL REFERENCES users(id),
        printed_name text NOT NULL,
        signer_role text NOT NULL,
        meaning text NOT NULL CHECK (meaning IN ('reviewed', 'approved_for_release', 'rejected', 'approved_specification',
                                                 'oos_investigation_closed', 'excursion_disposition', 'recall')),
        signed_at timestamptz NOT NULL,
        reason text NULL,
        record_type text NOT NULL,
        record_id text NOT NULL,
        record_hash text NOT NULL CHECK (record_hash ~ '^[0-9a-f]{64}$'),
        -- The canonical JSON exactly as hashed (text, not jsonb, so not one byte is normalised away).
        record_json text NOT NULL,
        session_id uuid NULL,
        request_id text NULL,
        CONSTRAINT signatures_hash_matches_record CHECK (encode(sha256(convert_to(record_json, 'UTF8')), 'hex') = record_hash)
      );
      CREATE INDEX signatures_record_idx ON signatures (record_type, record_id, signed_at);
      CREATE INDEX signatures_signer_idx ON signatures (signer_id, signed_at);

      -- The time of signing is the database's, never the client's.
      CREATE FUNCTION signatures_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.signed_at := clock_timestamp();
        RETURN NEW;
      END $$;
      CREATE TRIGGER signatures_stamp BEFORE INSERT ON signatures FOR EACH ROW EXECUTE FUNCTION signatures_stamp();
      CREATE TRIGGER signatures_append_only BEFORE UPDATE OR DELETE ON signatures FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER signatures_no_truncate BEFORE TRUNCATE ON signatures FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      -- For this and later migrations: the application role may read and append, nothing else.
      CREATE FUNCTION exolot_app_append_only(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exolot_app') THEN
          EXECUTE format('REVOKE ALL ON %s FROM exolot_app', tbl);
          EXECUTE format('GRANT SELECT, INSERT ON %s TO exolot_app', tbl);
        END IF;
      END $$;
    `);

    // Creating a role needs CREATEROLE; a migration role without it still migrates (and says so).
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exolot_app') THEN
          CREATE ROLE exolot_app NOLOGIN;
        END IF;
      EXCEPTION
        WHEN insufficient_privilege THEN
          RAISE NOTICE 'role exolot_app not created (no CREATEROLE); create it and re-run the grants in docs/compliance.md';
        WHEN duplicate_object OR unique_violation THEN
          NULL; -- created at the same moment by a migration of another database on this server
      END $$;
    `);
    await q.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exolot_app') THEN
          GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO exolot_app;
          GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO exolot_app;
          ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO exolot_app;
          ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO exolot_app;
          REVOKE ALL ON schema_migrations FROM exolot_app;
          GRANT SELECT ON schema_migrations TO exolot_app;
        END IF;
      END $$;
      SELECT exolot_app_append_only(t::regclass) FROM unnest(ARRAY['audit_events', 'signatures', 'batch_events', 'harvests', 'isolation_steps']) AS t;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE IF EXISTS signatures;
      DROP FUNCTION IF EXISTS signatures_stamp(), exolot_app_append_only(regclass);
    `);
  }
}
