import { type Kysely, sql } from 'kysely'

/**
 * Web chat visitors. A visitor is one browser's anonymous id (kept in its
 * localStorage): `token_hash` is the SHA-256 of the secret the widget holds,
 * so a database read does not hand out sessions. `contact_id` is the contact
 * the visitor writes as (its `widget` identity, or the contact of a verified
 * `identify()`), `conversation_id` the case it chats in. What the visitor
 * typed about themselves (pre-chat form, an unverified identify claim) is
 * kept in `name`, `email`, `topic` and `claims`: data, never an attachment to
 * another person's history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE chat_visitors (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      inbox_id uuid NOT NULL,
      token_hash text NOT NULL UNIQUE,
      contact_id uuid,
      conversation_id uuid,
      name text,
      email text,
      topic text,
      verified_external_id text,
      claims jsonb NOT NULL DEFAULT '{}',
      read_up_to timestamptz,
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts(workspace_id, id) ON DELETE SET NULL (contact_id)
    );
    CREATE INDEX chat_visitors_inbox_idx ON chat_visitors (workspace_id, inbox_id);
    CREATE INDEX chat_visitors_conversation_idx ON chat_visitors (workspace_id, conversation_id);
    GRANT SELECT, INSERT, UPDATE, DELETE ON chat_visitors TO omnidesk_app;
    ALTER TABLE chat_visitors ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON chat_visitors
      USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
      WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE chat_visitors`.execute(db)
}
