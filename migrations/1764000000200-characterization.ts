import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Versioned specifications, assay results (append-only versions), investigations, instrument files. */
export class Characterization1764000000200 implements MigrationInterface {
  name = 'Characterization1764000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE specifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        product_id uuid NOT NULL REFERENCES products(id),
        version integer NOT NULL CHECK (version > 0),
        status text NOT NULL CHECK (status IN ('draft', 'effective', 'superseded')),
        title text NOT NULL,
        notes text NULL,
        based_on_id uuid NULL REFERENCES specifications(id),
        created_by uuid NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        effective_at timestamptz NULL,
        approval_signature_id uuid NULL,
        UNIQUE (product_id, version)
      );
      CREATE UNIQUE INDEX specifications_one_effective ON specifications (product_id) WHERE status = 'effective';

      CREATE TABLE specification_criteria (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        specification_id uuid NOT NULL REFERENCES specifications(id),
        position integer NOT NULL,
        assay text NOT NULL,
        parameter text NOT NULL,
        label text NOT NULL,
        criterion jsonb NOT NULL,
        applies_to_source text NULL CHECK (applies_to_source IN ('cell_culture_media', 'serum')),
        required boolean NOT NULL DEFAULT true,
        UNIQUE (specification_id, position)
      );
      CREATE INDEX specification_criteria_spec_idx ON specification_criteria (specification_id);

      -- An effective (or superseded) specification is never edited: a change is a new version.
      CREATE FUNCTION specification_locked() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE spec_status text;
      BEGIN
        SELECT status INTO spec_status FROM specifications WHERE id = coalesce(NEW.specification_id, OLD.specification_id);
        IF spec_status IS DISTINCT FROM 'draft' THEN
          RAISE EXCEPTION 'specification % is %; its criteria cannot change', coalesce(NEW.specification_id, OLD.specification_id), spec_status USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN coalesce(NEW, OLD);
      END $$;
      CREATE TRIGGER specification_criteria_locked BEFORE INSERT OR UPDATE OR DELETE ON specification_criteria FOR EACH ROW EXECUTE FUNCTION specification_locked();

      CREATE FUNCTION specification_transitions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'an approved specification cannot be deleted' USING ERRCODE = 'insufficient_privilege'; END IF;
          RETURN OLD;
        END IF;
        IF OLD.status = 'superseded' OR (OLD.status = 'effective' AND NEW.status <> 'superseded')
           OR (OLD.status <> 'draft' AND (NEW.title, NEW.product_id, NEW.version, NEW.approval_signature_id, NEW.effective_at) IS DISTINCT FROM (OLD.title, OLD.product_id, OLD.version, OLD.approval_signature_id, OLD.effective_at)) THEN
          RAISE EXCEPTION 'specification % is %; it cannot change (a change is a new version)', OLD.id, OLD.status USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER specifications_transitions BEFORE UPDATE OR DELETE ON specifications FOR EACH ROW EXECUTE FUNCTION specification_transitions();

      ALTER TABLE batches ADD COLUMN specification_id uuid NULL REFERENCES specifications(id);
      ALTER TABLE batches ADD COLUMN specification_bound_at timestamptz NULL;

      CREATE TABLE instrument_files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NULL REFERENCES batches(id),
        file_name text NOT NULL,
        media_type text NOT NULL,
        format text NOT NULL,
        size_bytes integer NOT NULL,
        sha256 text NOT NULL,
        content bytea NOT NULL,
        parsed jsonb NULL,
        uploaded_by uuid NOT NULL REFERENCES users(id),
        uploaded_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX instrument_files_batch_idx ON instrument_files (batch_id);

      CREATE TABLE assay_results (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL REFERENCES batches(id),
        assay text NOT NULL,
        lineage_id uuid NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        supersedes_id uuid NULL REFERENCES assay_results(id),
        retest_of_id uuid NULL REFERENCES assay_results(id),
        specification_id uuid NOT NULL REFERENCES specifications(id),
        data jsonb NOT NULL,
        derived jsonb NOT NULL DEFAULT '{}',
        verdicts jsonb NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('pass', 'fail', 'not_evaluable')),
        instrument text NULL,
        instrument_file_id uuid NULL REFERENCES instrument_files(id),
        performed_at timestamptz NOT NULL,
        correction_reason text NULL,
        recorded_by uuid NOT NULL REFERENCES users(id),
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (lineage_id, version),
        CHECK ((version = 1) = (supersedes_id IS NULL)),
        CHECK (version = 1 OR correction_reason IS NOT NULL)
      );
      CREATE INDEX assay_results_batch_idx ON assay_results (batch_id, assay);
      -- Exactly one current version per lineage: the newest.
      CREATE UNIQUE INDEX assay_results_one_successor ON assay_results (supersedes_id) WHERE supersedes_id IS NOT NULL;

      CREATE TABLE investigations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL REFERENCES batches(id),
        result_id uuid NOT NULL REFERENCES assay_results(id),
        number text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('open', 'closed')),
        failed_parameters jsonb NOT NULL,
        assignee_id uuid NULL REFERENCES users(id),
        findings text NULL,
        root_cause text NULL,
        conclusion text NULL CHECK (conclusion IN ('invalidated_retest', 'confirmed_oos')),
        retest_result_id uuid NULL REFERENCES assay_results(id),
        closure_signature_id uuid NULL,
        opened_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz NULL,
        version integer NOT NULL DEFAULT 1,
        CHECK ((status = 'closed') = (closed_at IS NOT NULL AND conclusion IS NOT NULL AND closure_signature_id IS NOT NULL))
      );
      CREATE INDEX investigations_batch_idx ON investigations (batch_id, status);
      CREATE SEQUENCE investigation_number_seq;

      -- A closed investigation is final.
      -- Shipped templates QA starts a draft from. The default follows MISEV2018/2023 (DOMAIN.md section 2).
      CREATE TABLE specification_templates (
        code text PRIMARY KEY,
        title text NOT NULL,
        criteria jsonb NOT NULL
      );
      INSERT INTO specification_templates (code, title, criteria) VALUES ('misev-default', 'Default exosome specification (after MISEV2018/2023)', '[{"assay": "nta", "parameter": "modeNm", "label": "NTA mode size", "criterion": {"kind": "range", "min": 50, "max": 150, "unit": "nm"}, "appliesToSource": null, "required": true}, {"assay": "nta", "parameter": "d90Nm", "label": "NTA D90", "criterion": {"kind": "range", "max": 250, "unit": "nm"}, "appliesToSource": null, "required": true}, {"assay": "nta", "parameter": "concentrationPerMl", "label": "NTA concentration", "criterion": {"kind": "range", "min": 1000000000, "unit": "particles/mL"}, "appliesToSource": null, "required": true}, {"assay": "nta", "parameter": "videoCount", "label": "NTA videos", "criterion": {"kind": "min_count", "min": 3}, "appliesToSource": null, "required": true}, {"assay": "protein", "parameter": "purityParticlesPerUg", "label": "Purity ratio (particles/\u00b5g protein)", "criterion": {"kind": "range", "min": 1000000000, "unit": "particles/\u00b5g"}, "appliesToSource": null, "required": true}, {"assay": "western_blot", "parameter": "CD63", "label": "Transmembrane marker CD63", "criterion": {"kind": "marker", "marker": "CD63", "expected": ["present"]}, "appliesToSource": null, "required": true}, {"assay": "western_blot", "parameter": "cytosolic", "label": "Cytosolic marker (TSG101 or ALIX)", "criterion": {"kind": "any_marker_present", "markers": ["TSG101", "ALIX"]}, "appliesToSource": null, "required": true}, {"assay": "western_blot", "parameter": "calnexin", "label": "Negative marker calnexin (ER)", "criterion": {"kind": "marker", "marker": "calnexin", "expected": ["absent"]}, "appliesToSource": "cell_culture_media", "required": true}, {"assay": "western_blot", "parameter": "ApoA1", "label": "Lipoprotein ApoA1", "criterion": {"kind": "marker", "marker": "ApoA1", "expected": ["absent", "depleted"]}, "appliesToSource": "serum", "required": true}, {"assay": "western_blot", "parameter": "albumin", "label": "Albumin", "criterion": {"kind": "marker", "marker": "albumin", "expected": ["absent", "depleted"]}, "appliesToSource": "serum", "required": true}, {"assay": "em", "parameter": "morphology", "label": "EM morphology", "criterion": {"kind": "categorical", "allowed": ["cup_shaped", "round"]}, "appliesToSource": null, "required": true}, {"assay": "em", "parameter": "sizeRangeMinNm", "label": "EM smallest vesicle", "criterion": {"kind": "range", "min": 30, "unit": "nm"}, "appliesToSource": null, "required": true}, {"assay": "em", "parameter": "sizeRangeMaxNm", "label": "EM largest vesicle", "criterion": {"kind": "range", "max": 200, "unit": "nm"}, "appliesToSource": null, "required": true}, {"assay": "facs", "parameter": "percentAboveIsotype", "label": "FACS CD63+ events above isotype", "criterion": {"kind": "range", "min": 50, "unit": "%"}, "appliesToSource": null, "required": true}, {"assay": "rna_isolation", "parameter": "yieldNg", "label": "RNA recovered (kit lot recorded)", "criterion": {"kind": "recorded"}, "appliesToSource": null, "required": true}, {"assay": "bioanalyzer", "parameter": "smallRnaProfile", "label": "Bioanalyzer small-RNA profile", "criterion": {"kind": "categorical", "allowed": ["present"]}, "appliesToSource": null, "required": true}, {"assay": "bioanalyzer", "parameter": "concentrationPgPerUl", "label": "RNA concentration", "criterion": {"kind": "recorded"}, "appliesToSource": null, "required": true}, {"assay": "qpcr", "parameter": "referenceCqMax", "label": "Reference miRNA Cq", "criterion": {"kind": "range", "max": 35, "unit": "Cq"}, "appliesToSource": null, "required": true}, {"assay": "sterility", "parameter": "result", "label": "Sterility", "criterion": {"kind": "categorical", "allowed": ["no_growth"]}, "appliesToSource": null, "required": true}, {"assay": "endotoxin", "parameter": "euPerMl", "label": "Endotoxin (LAL)", "criterion": {"kind": "range", "max": 0.5, "maxExclusive": true, "unit": "EU/mL"}, "appliesToSource": null, "required": true}, {"assay": "mycoplasma", "parameter": "result", "label": "Mycoplasma", "criterion": {"kind": "categorical", "allowed": ["negative"]}, "appliesToSource": null, "required": true}]');

      CREATE FUNCTION investigation_closed_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR OLD.status = 'closed' THEN
          RAISE EXCEPTION 'investigation % is closed; it cannot change', OLD.number USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER investigations_closed_final BEFORE UPDATE OR DELETE ON investigations FOR EACH ROW EXECUTE FUNCTION investigation_closed_is_final();
    `);
    for (const table of ['assay_results', 'instrument_files']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
        SELECT exolot_app_append_only('${table}');
      `);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE IF EXISTS specification_templates, investigations, assay_results, instrument_files, specification_criteria CASCADE;
      ALTER TABLE batches DROP COLUMN IF EXISTS specification_id, DROP COLUMN IF EXISTS specification_bound_at;
      DROP TABLE IF EXISTS specifications CASCADE;
      DROP SEQUENCE IF EXISTS investigation_number_seq;
      DROP FUNCTION IF EXISTS specification_locked(), specification_transitions(), investigation_closed_is_final();
    `);
  }
}
