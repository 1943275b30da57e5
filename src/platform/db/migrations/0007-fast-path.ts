import { type Kysely, sql } from 'kysely'

/**
 * The fast path (issue #11).
 *
 * audit_events: an entry is inserted without its chain link (seq, prev_hash,
 * hash NULL) in the transaction of the change it records; the single audit
 * appender (src/platform/audit/appender.ts) links committed entries into their
 * workspace's chain afterwards, in batches. The append-only trigger now allows
 * exactly that one update — setting the link of an unlinked entry, nothing
 * else — and still refuses every other UPDATE and every DELETE.
 *
 * events: an index for pruning dispatched events (EVENTS_RETENTION_DAYS).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL;
    ALTER TABLE audit_events ALTER COLUMN prev_hash DROP NOT NULL;
    ALTER TABLE audit_events ALTER COLUMN hash DROP NOT NULL;
    ALTER TABLE audit_events ADD CONSTRAINT audit_events_link_whole
      CHECK ((seq IS NULL AND prev_hash IS NULL AND hash IS NULL) OR (seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL));
    CREATE INDEX audit_events_unchained_idx ON audit_events (id) WHERE hash IS NULL;

    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
         AND NEW.id = OLD.id AND NEW.workspace_id = OLD.workspace_id
         AND NEW.actor_type = OLD.actor_type AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
         AND NEW.actor_label IS NOT DISTINCT FROM OLD.actor_label AND NEW.action = OLD.action
         AND NEW.entity_type = OLD.entity_type AND NEW.entity_id IS NOT DISTINCT FROM OLD.entity_id
         AND NEW.changes IS NOT DISTINCT FROM OLD.changes AND NEW.ip IS NOT DISTINCT FROM OLD.ip
         AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id AND NEW.created_at = OLD.created_at THEN
        RETURN NEW; -- the appender links a committed entry into the chain, once
      END IF;
      RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;

    CREATE INDEX events_dispatched_idx ON events (dispatched_at) WHERE dispatched_at IS NOT NULL;
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX events_dispatched_idx;
    DROP INDEX audit_events_unchained_idx;
    ALTER TABLE audit_events DROP CONSTRAINT audit_events_link_whole;
    CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
  `.execute(db)
}
