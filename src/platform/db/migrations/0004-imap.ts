import { type Kysely, sql } from 'kysely'

/**
 * IMAP inbound: a UID checkpoint per (inbox, folder) and a health record per
 * mailbox (inbox).
 *
 * imap_checkpoints: `last_uid` is the highest UID already stored in the
 * inbound store (or deliberately passed over); it only moves forward, and only
 * after the message is durable. UIDs up to `floor_uid` existed before the first
 * sync (or the last UIDVALIDITY reset): of those, only mail since `since` (the
 * backfill point) is fetched. `uid_validity` is the folder's UIDVALIDITY when
 * the checkpoint was taken; a different one on the server means every UID
 * changed meaning, so the folder is synced again from the backfill point.
 * `fetched` and `duplicates` count what was stored through this checkpoint
 * (a duplicate: the inbound store already had that Message-ID).
 *
 * imap_mailbox_health: what the poller last saw of a mailbox, for the API and alerts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE imap_checkpoints (
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      inbox_id uuid NOT NULL,
      folder text NOT NULL,
      uid_validity bigint NOT NULL,
      last_uid bigint NOT NULL,
      floor_uid bigint NOT NULL,
      since timestamptz,
      watching_since timestamptz NOT NULL DEFAULT now(),
      resyncs integer NOT NULL DEFAULT 0,
      fetched bigint NOT NULL DEFAULT 0,
      duplicates bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, inbox_id, folder),
      FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes(workspace_id, id) ON DELETE CASCADE
    );
    CREATE TABLE imap_mailbox_health (
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      inbox_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('ok','failing','auth_failed')),
      last_success_at timestamptz,
      last_attempt_at timestamptz,
      last_error text,
      last_error_at timestamptz,
      consecutive_failures integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, inbox_id),
      FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes(workspace_id, id) ON DELETE CASCADE
    );
  `.execute(db)
  for (const table of ['imap_checkpoints', 'imap_mailbox_health']) {
    await sql`
      GRANT SELECT, INSERT, UPDATE, DELETE ON ${sql.table(table)} TO omnidesk_app;
      ALTER TABLE ${sql.table(table)} ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant ON ${sql.table(table)}
        USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
        WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
    `.execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS imap_mailbox_health; DROP TABLE IF EXISTS imap_checkpoints`.execute(db)
}
