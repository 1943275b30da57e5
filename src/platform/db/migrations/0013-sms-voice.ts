import { type Kysely, sql } from 'kysely'

/**
 * SMS and voice (src/channels/sms, src/channels/voice) and channel health
 * (src/channels/health.ts):
 *
 * - `contact_consents`: a contact's consent to be messaged on a channel
 *   (granted/withdrawn), changed by the STOP/START keywords or an agent; the
 *   reply path refuses to message a contact who withdrew it.
 * - `voice_calls`: one row per call (Twilio CallSid) with its progress, the
 *   case it was filed in, and its outcome (answered, missed, voicemail).
 * - `tasks`: work with a due time in a case; a callback request is one
 *   (`kind = 'callback'`), reminded by a durable job when due.
 * - `inbox_health`: recent send outcomes and webhook arrivals per inbox, from
 *   which healthy/degraded/down is computed, with the last error.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE contact_consents (
      workspace_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      channel text NOT NULL,
      status text NOT NULL CHECK (status IN ('granted','withdrawn')),
      source text NOT NULL,
      keyword text,
      identity text,
      inbox_id uuid,
      changed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, contact_id, channel),
      FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts(workspace_id, id) ON DELETE CASCADE
    );

    CREATE TABLE voice_calls (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      inbox_id uuid NOT NULL,
      call_sid text NOT NULL,
      from_number text NOT NULL,
      to_number text NOT NULL,
      contact_id uuid,
      conversation_id uuid,
      status text NOT NULL,
      outcome text CHECK (outcome IN ('answered','missed','voicemail')),
      duration_seconds integer,
      answered_at timestamptz,
      ended_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, inbox_id, call_sid),
      FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes(workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE SET NULL (conversation_id)
    );

    CREATE TABLE tasks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      conversation_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('callback')),
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','canceled')),
      phone text,
      note text,
      due_at timestamptz NOT NULL,
      source text NOT NULL CHECK (source IN ('api','ivr','widget')),
      created_by uuid,
      reminded_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX tasks_conversation_idx ON tasks (workspace_id, conversation_id, created_at);
    CREATE INDEX tasks_open_due_idx ON tasks (workspace_id, due_at) WHERE status = 'open';

    CREATE TABLE inbox_health (
      workspace_id uuid NOT NULL,
      inbox_id uuid NOT NULL PRIMARY KEY,
      consecutive_failures integer NOT NULL DEFAULT 0,
      last_success_at timestamptz,
      last_failure_at timestamptz,
      last_error_code text,
      last_error_message text,
      last_error_at timestamptz,
      last_webhook_at timestamptz,
      last_webhook_rejected_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes(workspace_id, id) ON DELETE CASCADE
    );
  `.execute(db)
  for (const table of ['contact_consents', 'voice_calls', 'tasks', 'inbox_health']) {
    await sql
      .raw(`
      GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO omnidesk_app;
      ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant ON ${table}
        USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
        WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
    `)
      .execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE inbox_health; DROP TABLE tasks; DROP TABLE voice_calls; DROP TABLE contact_consents;`.execute(db)
}
