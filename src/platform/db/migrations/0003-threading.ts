import { type Kysely, sql } from 'kysely'

/**
 * Threading: a conversation may be the follow-up of another (the customer
 * wrote into a closed case, or into a solved one after its reopen window).
 * The link lives on the conversations row, which already carries the
 * workspace's row-level security policy; the foreign key includes
 * workspace_id, so a link can never point into another workspace.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE conversations ADD COLUMN follow_up_of uuid;
    ALTER TABLE conversations ADD CONSTRAINT conversations_follow_up_of_fkey
      FOREIGN KEY (workspace_id, follow_up_of) REFERENCES conversations(workspace_id, id) ON DELETE SET NULL (follow_up_of);
    CREATE INDEX conversations_follow_up_of_idx ON conversations (workspace_id, follow_up_of) WHERE follow_up_of IS NOT NULL;
  `.execute(db)
  // Follow-ups opened before this column existed are named by their conversation.created event
  // (written only by the system, unlike message metadata, which API clients may set).
  await sql`
    UPDATE conversations c SET follow_up_of = (e.payload->>'followUpOf')::uuid
    FROM events e
    WHERE e.type = 'conversation.created' AND e.conversation_id = c.id AND e.workspace_id = c.workspace_id
      AND e.payload->>'followUpOf' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      AND EXISTS (SELECT 1 FROM conversations o WHERE o.workspace_id = c.workspace_id AND o.id = (e.payload->>'followUpOf')::uuid)
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE conversations DROP COLUMN IF EXISTS follow_up_of`.execute(db)
}
