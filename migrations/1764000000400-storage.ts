import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fill, labels, cold storage, temperature monitoring, excursions and shipments.
 * Custody events, fills, readings and excursion holds are append-only; a position holds one
 * vial (UNIQUE), a vial sits in one position (PRIMARY KEY).
 */
export class Storage1764000000400 implements MigrationInterface {
  name = 'Storage1764000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE storage_sites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE freezers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        site_id uuid NOT NULL REFERENCES storage_sites(id),
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        set_point_c real NOT NULL,
        alarm_high_c real NOT NULL,
        grace_seconds integer NOT NULL CHECK (grace_seconds BETWEEN 0 AND 86400),
        max_gap_seconds integer NOT NULL CHECK (max_gap_seconds BETWEEN 1 AND 604800),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (alarm_high_c > set_point_c)
      );

      CREATE TABLE storage_racks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        freezer_id uuid NOT NULL REFERENCES freezers(id),
        code text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (freezer_id, code)
      );

      CREATE TABLE storage_boxes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        rack_id uuid NOT NULL REFERENCES storage_racks(id),
        code text NOT NULL UNIQUE,
        rows integer NOT NULL CHECK (rows BETWEEN 1 AND 26),
        cols integer NOT NULL CHECK (cols BETWEEN 1 AND 26),
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE vial_fills (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL REFERENCES batches(id),
        solution_name text NOT NULL,
        solution_lot text NOT NULL,
        filled_at timestamptz NOT NULL,
        filled_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX vial_fills_batch_idx ON vial_fills (batch_id);

      CREATE TABLE vials (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        serial text NOT NULL UNIQUE CHECK (serial ~ '^[0-9A-Z]{8,20}$'),
        batch_id uuid NOT NULL REFERENCES batches(id),
        fill_id uuid NULL REFERENCES vial_fills(id),
        fill_index integer NULL,
        purpose text NOT NULL CHECK (purpose IN ('dose', 'bulk')),
        volume_ml numeric(10,3) NOT NULL CHECK (volume_ml > 0),
        solution_name text NULL,
        solution_lot text NULL,
        filled_at timestamptz NOT NULL,
        expiry_date date NULL,
        clinic_id uuid NULL REFERENCES clinics(id),
        patient_ref text NULL CHECK (patient_ref IS NULL OR patient_ref ~ '^[A-Z0-9][A-Z0-9-]{3,39}$'),
        status text NOT NULL CHECK (status IN ('filled', 'stored', 'removed', 'thawed', 'packed', 'shipped', 'received', 'used', 'destroyed')),
        quarantined boolean NOT NULL DEFAULT false,
        recalled_at timestamptz NULL,
        freeze_thaw_cycles integer NOT NULL DEFAULT 0 CHECK (freeze_thaw_cycles >= 0),
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (purpose = 'bulk' OR (expiry_date IS NOT NULL AND fill_id IS NOT NULL AND solution_name IS NOT NULL)),
        CHECK (patient_ref IS NULL OR clinic_id IS NOT NULL)
      );
      CREATE INDEX vials_batch_idx ON vials (batch_id);
      CREATE INDEX vials_fill_idx ON vials (fill_id);

      -- Where a vial is now: one vial per position, one position per vial.
      CREATE TABLE vial_locations (
        vial_id uuid PRIMARY KEY REFERENCES vials(id),
        box_id uuid NOT NULL REFERENCES storage_boxes(id),
        row_no integer NOT NULL CHECK (row_no >= 1),
        col_no integer NOT NULL CHECK (col_no >= 1),
        since timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT vial_locations_position_key UNIQUE (box_id, row_no, col_no) DEFERRABLE INITIALLY IMMEDIATE
      );
      CREATE FUNCTION vial_location_in_box() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE b storage_boxes;
      BEGIN
        SELECT * INTO b FROM storage_boxes WHERE id = NEW.box_id;
        IF NEW.row_no > b.rows OR NEW.col_no > b.cols THEN
          RAISE EXCEPTION 'position %/% is outside box % (% x %)', NEW.row_no, NEW.col_no, b.code, b.rows, b.cols USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER vial_locations_in_box BEFORE INSERT OR UPDATE ON vial_locations FOR EACH ROW EXECUTE FUNCTION vial_location_in_box();

      CREATE TABLE temperature_loggers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('freezer', 'shipping')),
        freezer_id uuid NULL REFERENCES freezers(id),
        attached_at timestamptz NULL,
        key_hash text NOT NULL UNIQUE,
        active boolean NOT NULL DEFAULT true,
        last_reading_at timestamptz NULL,
        -- Earliest reading time ingested since detection last ran; detection re-reads from there.
        dirty_from timestamptz NULL,
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind = 'freezer' OR freezer_id IS NULL),
        CHECK ((freezer_id IS NULL) = (attached_at IS NULL))
      );

      CREATE TABLE temperature_readings (
        logger_id uuid NOT NULL REFERENCES temperature_loggers(id),
        recorded_at timestamptz NOT NULL,
        temperature_c real NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (logger_id, recorded_at)
      );

      CREATE SEQUENCE shipment_number_seq;
      CREATE TABLE shipments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number text NOT NULL UNIQUE,
        clinic_id uuid NOT NULL REFERENCES clinics(id),
        logger_id uuid NULL REFERENCES temperature_loggers(id),
        alarm_high_c real NOT NULL,
        grace_seconds integer NOT NULL CHECK (grace_seconds BETWEEN 0 AND 86400),
        max_gap_seconds integer NOT NULL CHECK (max_gap_seconds BETWEEN 1 AND 604800),
        status text NOT NULL CHECK (status IN ('packing', 'shipped', 'received')),
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        shipped_at timestamptz NULL,
        shipped_by uuid NULL REFERENCES users(id),
        received_at timestamptz NULL,
        received_by uuid NULL REFERENCES users(id),
        arrival_status text NULL CHECK (arrival_status IN ('ok', 'excursion', 'unknown')),
        receipt_notes text NULL,
        CHECK ((status = 'received') = (received_at IS NOT NULL AND arrival_status IS NOT NULL)),
        CHECK ((status = 'packing') = (shipped_at IS NULL))
      );
      CREATE INDEX shipments_clinic_idx ON shipments (clinic_id, created_at DESC);
      -- A shipping logger travels with one shipment at a time.
      CREATE UNIQUE INDEX shipments_logger_active_idx ON shipments (logger_id) WHERE logger_id IS NOT NULL AND status <> 'received';

      CREATE TABLE shipment_vials (
        shipment_id uuid NOT NULL REFERENCES shipments(id),
        vial_id uuid NOT NULL UNIQUE REFERENCES vials(id),
        packed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (shipment_id, vial_id)
      );

      CREATE SEQUENCE excursion_number_seq;
      CREATE TABLE excursions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number text NOT NULL UNIQUE,
        logger_id uuid NOT NULL REFERENCES temperature_loggers(id),
        kind text NOT NULL CHECK (kind IN ('temperature', 'data_gap')),
        freezer_id uuid NULL REFERENCES freezers(id),
        shipment_id uuid NULL REFERENCES shipments(id),
        started_at timestamptz NOT NULL,
        ended_at timestamptz NULL,
        peak_c real NULL,
        limit_c real NOT NULL,
        grace_seconds integer NOT NULL,
        max_gap_seconds integer NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        disposition text NULL CHECK (disposition IN ('release_from_quarantine', 'destroy')),
        justification text NULL,
        disposed_by uuid NULL REFERENCES users(id),
        disposed_at timestamptz NULL,
        signature_id uuid NULL REFERENCES signatures(id),
        UNIQUE (logger_id, kind, started_at),
        CHECK ((freezer_id IS NULL) <> (shipment_id IS NULL)),
        CHECK ((disposition IS NULL) = (justification IS NULL AND disposed_by IS NULL AND disposed_at IS NULL)),
        CHECK (ended_at IS NULL OR ended_at >= started_at)
      );
      CREATE INDEX excursions_open_idx ON excursions (logger_id) WHERE disposition IS NULL;

      CREATE FUNCTION excursion_disposition_final() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'excursions are never deleted' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.disposition IS NOT NULL AND (
             (NEW.disposition, NEW.justification, NEW.disposed_by, NEW.disposed_at, NEW.started_at, NEW.ended_at, NEW.logger_id, NEW.kind)
             IS DISTINCT FROM (OLD.disposition, OLD.justification, OLD.disposed_by, OLD.disposed_at, OLD.started_at, OLD.ended_at, OLD.logger_id, OLD.kind)
             OR (OLD.signature_id IS NOT NULL AND NEW.signature_id IS DISTINCT FROM OLD.signature_id)) THEN
          RAISE EXCEPTION 'excursion % has a disposition; it can no longer change', OLD.number USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER excursions_disposition_final BEFORE UPDATE OR DELETE ON excursions FOR EACH ROW EXECUTE FUNCTION excursion_disposition_final();

      CREATE TABLE excursion_vials (
        excursion_id uuid NOT NULL REFERENCES excursions(id),
        vial_id uuid NOT NULL REFERENCES vials(id),
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (excursion_id, vial_id)
      );
      CREATE INDEX excursion_vials_vial_idx ON excursion_vials (vial_id);

      CREATE TABLE custody_events (
        id bigserial PRIMARY KEY,
        vial_id uuid NOT NULL REFERENCES vials(id),
        kind text NOT NULL CHECK (kind IN ('filled', 'stored', 'moved', 'removed', 'thawed', 'packed', 'shipped', 'received', 'used', 'destroyed', 'quarantined', 'quarantine_lifted')),
        -- Where the vial is after the event (NULL: not in a storage box).
        box_id uuid NULL REFERENCES storage_boxes(id),
        row_no integer NULL,
        col_no integer NULL,
        shipment_id uuid NULL REFERENCES shipments(id),
        excursion_id uuid NULL REFERENCES excursions(id),
        reason text NULL,
        actor_id uuid NULL REFERENCES users(id),
        actor_name text NOT NULL,
        request_id text NULL,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CHECK ((box_id IS NULL) = (row_no IS NULL) AND (row_no IS NULL) = (col_no IS NULL))
      );
      CREATE INDEX custody_events_vial_idx ON custody_events (vial_id, id);
      CREATE INDEX custody_events_box_idx ON custody_events (box_id) WHERE box_id IS NOT NULL;
    `);
    for (const table of ['vial_fills', 'temperature_readings', 'excursion_vials', 'custody_events', 'shipment_vials']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
        SELECT exolot_app_append_only('${table}');
      `);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE IF EXISTS custody_events, excursion_vials, excursions, shipment_vials, shipments, temperature_readings,
        temperature_loggers, vial_locations, vials, vial_fills, storage_boxes, storage_racks, freezers, storage_sites CASCADE;
      DROP SEQUENCE IF EXISTS shipment_number_seq, excursion_number_seq;
      DROP FUNCTION IF EXISTS vial_location_in_box(), excursion_disposition_final();
    `);
  }
}
