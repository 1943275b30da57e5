import { type Kysely, sql } from 'kysely'

/**
 * Inbound email: one row per (received message, recipient inbox), written
 * before the SMTP server answers 250, so an acknowledged message survives a
 * crash. The raw bytes live in the blob store (raw_blob_key); the row tracks
 * processing: received → processed | ignored | quarantined. dedupe_key (the
 * Message-ID, or sha256 of the raw bytes without one) makes a retried delivery
 * or a re-fetched copy one row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE inbound_emails (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      inbox_id uuid NOT NULL,
      raw_blob_key text NOT NULL,
      raw_sha256 text NOT NULL,
      size bigint NOT NULL,
      message_id_header text,
      dedupe_key text NOT NULL,
      envelope_from text,
      envelope_to text[] NOT NULL DEFAULT '{}',
      from_address text,
      subject text,
      status text NOT NULL DEFAULT 'received' CHECK (status IN ('received','processed','quarantined','ignored')),
      classification text CHECK (classification IN ('customer','bounce','auto_reply','complaint','receipt','own_loop')),
      classification_details jsonb,
      reason text,
      conversation_id uuid,
      message_id uuid,
      threading jsonb,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      last_error text,
      released_at timestamptz,
      -- Millisecond precision, so the list cursor (an ISO timestamp) compares exactly.
      received_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      processed_at timestamptz,
      UNIQUE (workspace_id, inbox_id, dedupe_key),
      FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX inbound_emails_pending_idx ON inbound_emails (received_at, id) WHERE status = 'received';
    CREATE INDEX inbound_emails_list_idx ON inbound_emails (workspace_id, received_at DESC, id DESC);
  `.execute(db)
  await sql`
    GRANT SELECT, INSERT, UPDATE, DELETE ON inbound_emails TO omnidesk_app;
    ALTER TABLE inbound_emails ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON inbound_emails
      USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
      WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS inbound_emails`.execute(db)
}
