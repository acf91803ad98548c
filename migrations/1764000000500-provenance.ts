import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Recalls of lots and vials; lookups read them at once. */
export class Provenance1764000000500 implements MigrationInterface {
  name = 'Provenance1764000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE batches ADD COLUMN recalled_at timestamptz NULL;
      ALTER TABLE shipments ADD COLUMN recall_flagged_at timestamptz NULL;
      CREATE SEQUENCE recall_number_seq;
      CREATE TABLE recalls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number text NOT NULL UNIQUE,
        scope text NOT NULL CHECK (scope IN ('lot', 'vials')),
        batch_id uuid NOT NULL REFERENCES batches(id),
        reason text NOT NULL,
        signature_id uuid NOT NULL REFERENCES signatures(id),
        recalled_by uuid NOT NULL REFERENCES users(id),
        recalled_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX recalls_batch_idx ON recalls (batch_id);
      CREATE TABLE recall_vials (
        recall_id uuid NOT NULL REFERENCES recalls(id),
        vial_id uuid NOT NULL REFERENCES vials(id),
        PRIMARY KEY (recall_id, vial_id)
      );
      CREATE INDEX recall_vials_vial_idx ON recall_vials (vial_id);
      CREATE INDEX IF NOT EXISTS vials_batch_idx ON vials (batch_id);
      -- A recall is permanent: the recall timestamps cannot be cleared.
      CREATE FUNCTION recall_is_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.recalled_at IS NOT NULL AND NEW.recalled_at IS DISTINCT FROM OLD.recalled_at THEN
          RAISE EXCEPTION 'a recall cannot be undone' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER batches_recall_permanent BEFORE UPDATE OF recalled_at ON batches FOR EACH ROW EXECUTE FUNCTION recall_is_permanent();
      CREATE TRIGGER vials_recall_permanent BEFORE UPDATE OF recalled_at ON vials FOR EACH ROW EXECUTE FUNCTION recall_is_permanent();
    `);
    for (const table of ['recalls', 'recall_vials']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
        SELECT exolot_app_append_only('${table}');
      `);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER IF EXISTS batches_recall_permanent ON batches;
      DROP TRIGGER IF EXISTS vials_recall_permanent ON vials;
      DROP FUNCTION IF EXISTS recall_is_permanent();
      DROP TABLE IF EXISTS recall_vials, recalls;
      DROP SEQUENCE IF EXISTS recall_number_seq;
      ALTER TABLE shipments DROP COLUMN IF EXISTS recall_flagged_at;
      ALTER TABLE batches DROP COLUMN IF EXISTS recalled_at;
    `);
  }
}
