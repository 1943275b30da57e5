import { type Kysely, sql } from 'kysely'

/**
 * `workspaces.conversation_seq` has been unused since 0020 (numbers come from
 * `conversation_counters`); dropped so that no new code can read a number
 * from it. `down` puts it back with each workspace's current counter.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE workspaces DROP COLUMN conversation_seq`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE workspaces ADD COLUMN conversation_seq bigint NOT NULL DEFAULT 0;
    UPDATE workspaces w SET conversation_seq = k.seq FROM conversation_counters k WHERE k.workspace_id = w.id;
    COMMENT ON COLUMN workspaces.conversation_seq IS 'unused since migration 0020: see conversation_counters';
  `.execute(db)
}
