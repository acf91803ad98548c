import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Platform, identity tables, batches, harvest, isolation. */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        job_name text NOT NULL,
        queue_name text NOT NULL,
        dedupe_key text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz NULL
      );
      CREATE INDEX outbox_pending_idx ON outbox (id) WHERE dispatched_at IS NULL;

      CREATE TABLE clinics (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        country text NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        display_name text NOT NULL,
        role text NOT NULL CHECK (role IN ('technician', 'qa_manager', 'admin', 'clinic')),
        clinic_id uuid NULL REFERENCES clinics(id),
        password_hash text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        failed_attempts integer NOT NULL DEFAULT 0,
        locked_until timestamptz NULL,
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_clinic_role CHECK ((role = 'clinic') = (clinic_id IS NOT NULL))
      );
      CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NULL
      );
      CREATE INDEX sessions_user_idx ON sessions (user_id);

      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        description text NULL,
        shelf_life_days integer NOT NULL CHECK (shelf_life_days > 0),
        gtin text NULL UNIQUE CHECK (gtin IS NULL OR gtin ~ '^[0-9]{14}$'),
        storage_instructions text NOT NULL DEFAULT 'Store frozen at -80 °C. Thaw once; do not refreeze.',
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE batches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_number text NOT NULL UNIQUE,
        product_id uuid NOT NULL REFERENCES products(id),
        state text NOT NULL,
        source_type text NOT NULL CHECK (source_type IN ('cell_culture_media', 'serum')),
        origin_class text NOT NULL,
        yield_volume_ml numeric(12,3) NULL CHECK (yield_volume_ml IS NULL OR yield_volume_ml > 0),
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      );
      CREATE INDEX batches_state_idx ON batches (state, created_at DESC);
      CREATE INDEX batches_product_idx ON batches (product_id, created_at DESC);
      CREATE INDEX batches_created_idx ON batches (created_at DESC, id);
      CREATE SEQUENCE batch_number_seq;

      CREATE TABLE batch_events (
        id bigserial PRIMARY KEY,
        batch_id uuid NOT NULL REFERENCES batches(id),
        transition text NOT NULL,
        from_state text NULL,
        to_state text NOT NULL,
        actor_id uuid NULL REFERENCES users(id),
        actor_name text NOT NULL,
        reason text NULL,
        request_id text NULL,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX batch_events_batch_idx ON batch_events (batch_id, id);

      CREATE TABLE harvests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL UNIQUE REFERENCES batches(id),
        source_type text NOT NULL CHECK (source_type IN ('cell_culture_media', 'serum')),
        origin_class text NOT NULL CHECK (origin_class IN ('human_cell_derived', 'human_serum', 'platelet_derived', 'plant_derived', 'synthetic')),
        harvested_at timestamptz NOT NULL,
        details jsonb NOT NULL,
        recorded_by uuid NOT NULL REFERENCES users(id),
        recorded_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE reagents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        manufacturer text NOT NULL,
        catalogue_number text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('precipitation', 'buffer', 'sec_column', 'tff_membrane', 'rna_kit', 'other')),
        intended_source text NOT NULL CHECK (intended_source IN ('cell_culture_media', 'serum', 'any')),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (manufacturer, catalogue_number)
      );

      CREATE TABLE reagent_lots (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reagent_id uuid NOT NULL REFERENCES reagents(id),
        lot_number text NOT NULL,
        expiry_date date NOT NULL,
        received_date date NOT NULL,
        recalled_at timestamptz NULL,
        recall_reason text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (reagent_id, lot_number),
        CHECK (received_date <= expiry_date)
      );

      CREATE TABLE isolation_steps (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        batch_id uuid NOT NULL REFERENCES batches(id),
        sequence integer NOT NULL CHECK (sequence > 0),
        step_type text NOT NULL,
        reagent_lot_id uuid NULL REFERENCES reagent_lots(id),
        parameters jsonb NOT NULL,
        performed_at timestamptz NOT NULL,
        notes text NULL,
        recorded_by uuid NOT NULL REFERENCES users(id),
        recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (batch_id, sequence)
      );
      CREATE INDEX isolation_steps_lot_idx ON isolation_steps (reagent_lot_id);

      CREATE TABLE batch_summaries (
        batch_id uuid PRIMARY KEY REFERENCES batches(id),
        step_count integer NOT NULL,
        processing_minutes numeric(12,2) NOT NULL,
        reagent_lots text[] NOT NULL,
        last_step_at timestamptz NULL,
        computed_at timestamptz NOT NULL,
        computations integer NOT NULL DEFAULT 1
      );

      -- Audit trail: append-only and hash-chained, in PostgreSQL itself.
      CREATE SEQUENCE audit_events_seq;
      CREATE TABLE audit_events (
        seq bigint PRIMARY KEY,
        id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
        occurred_at timestamptz NOT NULL,
        actor_id uuid NULL,
        actor_name text NOT NULL,
        actor_role text NULL,
        action text NOT NULL,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        before jsonb NULL,
        after jsonb NULL,
        reason text NULL,
        request_id text NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, seq);
      CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
      CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);
      CREATE INDEX audit_events_action_idx ON audit_events (action, seq);

      CREATE FUNCTION audit_event_digest(e audit_events) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT encode(sha256(convert_to(jsonb_build_array(
          e.seq, e.id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          e.actor_id, e.actor_name, e.actor_role, e.action, e.entity_type, e.entity_id,
          e.before, e.after, e.reason, e.request_id, e.prev_hash)::text, 'UTF8')), 'hex')
      $$;

      CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE last_hash text;
      BEGIN
        -- One writer at a time extends the chain; held until this transaction commits.
        PERFORM pg_advisory_xact_lock(7245002);
        SELECT hash INTO last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
        NEW.seq := nextval('audit_events_seq');
        NEW.occurred_at := clock_timestamp();
        NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
        NEW.hash := audit_event_digest(NEW);
        RETURN NEW;
      END $$;
      CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
    `);
    for (const table of ['audit_events', 'batch_events', 'harvests', 'isolation_steps']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
      `);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE IF EXISTS audit_events, batch_summaries, isolation_steps, reagent_lots, reagents, harvests,
        batch_events, batches, products, sessions, users, clinics, outbox CASCADE;
      DROP SEQUENCE IF EXISTS audit_events_seq, batch_number_seq;
      DROP FUNCTION IF EXISTS audit_event_digest(audit_events), audit_events_chain(), refuse_change();
    `);
  }
}
