import { type Kysely, sql } from 'kysely'

/**
 * What the agent desk needs on the server (issue #7): saved views, canned
 * replies, notifications, and full-text search indexes over conversations,
 * messages and contacts. The search indexes use the built-in 'simple'
 * configuration (no stemming, any language) and need no extension, so they
 * are the same on PGlite and PostgreSQL.
 */
const deskTables = ['saved_views', 'canned_replies', 'notifications'] as const

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE saved_views (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      owner_id uuid NOT NULL,
      name text NOT NULL,
      filters jsonb NOT NULL DEFAULT '{}',
      sort text NOT NULL DEFAULT 'recent',
      shared boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, owner_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX saved_views_ws_idx ON saved_views (workspace_id, owner_id);

    CREATE TABLE canned_replies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      owner_id uuid NOT NULL,
      name text NOT NULL,
      shortcut text,
      body text NOT NULL,
      shared boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, owner_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX canned_replies_ws_idx ON canned_replies (workspace_id, lower(name));

    CREATE TABLE notifications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      user_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('mention','assignment')),
      conversation_id uuid,
      message_id uuid,
      actor_id uuid,
      actor_label text,
      text text NOT NULL,
      source_event_id bigint NOT NULL,
      read_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE,
      UNIQUE (workspace_id, source_event_id, user_id, kind)
    );
    CREATE INDEX notifications_user_idx ON notifications (workspace_id, user_id, created_at DESC, id DESC);
    CREATE INDEX notifications_unread_idx ON notifications (workspace_id, user_id) WHERE read_at IS NULL;

    CREATE INDEX conversations_subject_fts_idx ON conversations USING gin (to_tsvector('simple', coalesce(subject, '')));
    CREATE INDEX messages_text_fts_idx ON messages USING gin (to_tsvector('simple', text));
    CREATE INDEX contacts_name_fts_idx ON contacts USING gin (to_tsvector('simple', coalesce(name, '')));
    CREATE INDEX contact_identities_fts_idx ON contact_identities USING gin (to_tsvector('simple', regexp_replace(value, '[^[:alnum:]]+', ' ', 'g')));
    CREATE INDEX conversations_ws_channel_idx ON conversations (workspace_id, channel);
    CREATE INDEX conversations_ws_category_idx ON conversations (workspace_id, category_id);
  `.execute(db)
  for (const table of deskTables) {
    await sql.raw(`
      GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO omnidesk_app;
      ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant ON ${table}
        USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
        WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
    `).execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX conversations_ws_category_idx;
    DROP INDEX conversations_ws_channel_idx;
    DROP INDEX contact_identities_fts_idx;
    DROP INDEX contacts_name_fts_idx;
    DROP INDEX messages_text_fts_idx;
    DROP INDEX conversations_subject_fts_idx;
    DROP TABLE notifications;
    DROP TABLE canned_replies;
    DROP TABLE saved_views;
  `.execute(db)
}
