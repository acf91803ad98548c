import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The QC release gate: checklists, QA decisions, lot numbers and certificates of analysis. */
export class Release1764000000300 implements MigrationInterface {
  name = 'Release1764000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Bumped in the same transaction as every change that can affect releasability, so a
      -- checklist computed from an older revision is known to be stale.
      ALTER TABLE batches ADD COLUMN qc_revision integer NOT NULL DEFAULT 0;
      ALTER TABLE batches ADD COLUMN lot_number text NULL UNIQUE CHECK (lot_number IS NULL OR length(lot_number) BETWEEN 1 AND 20);
      ALTER TABLE batches ADD COLUMN released_at timestamptz NULL;
      CREATE SEQUENCE lot_number_seq;

      CREATE TABLE release_checklists (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL REFERENCES batches(id),
        qc_revision integer NOT NULL,
        specification_id uuid NULL REFERENCES specifications(id),
        passed boolean NOT NULL,
        lines jsonb NOT NULL,
        content_hash text NOT NULL,
        computed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        job_id text NULL
      );
      CREATE INDEX release_checklists_batch_idx ON release_checklists (batch_id, computed_at DESC);

      CREATE TABLE release_decisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL UNIQUE REFERENCES batches(id),
        decision text NOT NULL CHECK (decision IN ('approved', 'rejected')),
        signature_id uuid NOT NULL REFERENCES signatures(id),
        checklist_id uuid NULL REFERENCES release_checklists(id),
        reason text NULL,
        decided_by uuid NOT NULL REFERENCES users(id),
        decided_at timestamptz NOT NULL DEFAULT now(),
        CHECK (decision = 'approved' OR reason IS NOT NULL)
      );

      CREATE TABLE certificates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL UNIQUE REFERENCES batches(id),
        sha256 text NOT NULL,
        content bytea NOT NULL,
        size_bytes integer NOT NULL,
        generated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
    for (const table of ['release_checklists', 'release_decisions', 'certificates']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
        SELECT exolot_app_append_only('${table}');
      `);
    }
    // A released batch keeps its lot number for good.
    await q.query(`
      CREATE FUNCTION batch_lot_number_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.lot_number IS NOT NULL AND NEW.lot_number IS DISTINCT FROM OLD.lot_number THEN
          RAISE EXCEPTION 'batch % already has lot number %', OLD.batch_number, OLD.lot_number USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.state = 'rejected' AND NEW.state <> 'rejected' THEN
          RAISE EXCEPTION 'batch % was rejected; it can never leave that state', OLD.batch_number USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER batches_lot_number_fixed BEFORE UPDATE ON batches FOR EACH ROW EXECUTE FUNCTION batch_lot_number_fixed();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER IF EXISTS batches_lot_number_fixed ON batches;
      DROP FUNCTION IF EXISTS batch_lot_number_fixed();
      DROP TABLE IF EXISTS certificates, release_decisions, release_checklists CASCADE;
      DROP SEQUENCE IF EXISTS lot_number_seq;
      ALTER TABLE batches DROP COLUMN IF EXISTS qc_revision, DROP COLUMN IF EXISTS lot_number, DROP COLUMN IF EXISTS released_at;
    `);
  }
}
