import { type Kysely, sql } from 'kysely'

/**
 * Issue #11, PostgreSQL's share of a create: the per-workspace conversation
 * number moves off the workspace row into a row of its own.
 *
 * Every create updated `workspaces.conversation_seq`, and every create also
 * takes a key-share lock on that same row for each of its foreign keys to
 * `workspaces` (the contact, the conversation, three events, two audit
 * entries: seven per create). So the most-locked row of the database also
 * got a new version per create: the foreign-key checks walked its chain of
 * dead versions, each locked by a multixact of the concurrent creates, and
 * that cost grew with the number of connections. `conversation_counters` is
 * updated by the number allocation only and referenced by nothing, so the
 * workspace row stays one stable version that only carries key-share locks.
 *
 * `workspaces.conversation_seq` is left in place, unused (its final value is
 * copied here): dropping it is a schema-type change for a later migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE conversation_counters (
      workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
      seq bigint NOT NULL
    );
    INSERT INTO conversation_counters (workspace_id, seq) SELECT id, conversation_seq FROM workspaces;
    COMMENT ON COLUMN workspaces.conversation_seq IS 'unused since migration 0020: see conversation_counters';
  `.execute(db)
  await sql.raw(`
    GRANT SELECT, INSERT, UPDATE ON conversation_counters TO omnidesk_app;
    ALTER TABLE conversation_counters ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON conversation_counters
      USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
      WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
  `).execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE workspaces w SET conversation_seq = k.seq FROM conversation_counters k WHERE k.workspace_id = w.id;
    COMMENT ON COLUMN workspaces.conversation_seq IS NULL;
    DROP TABLE conversation_counters;
  `.execute(db)
}
