import { type Kysely, sql } from 'kysely'

/**
 * Issue #10 follow-ups.
 * - `routing_entries.next_breach_at`: a copy of the case's next SLA breach
 *   (kept in step by the SLA module through a port), so the backlog's order
 *   (priority, next breach, waiting time) is one index walk instead of a
 *   sort over a join with conversation_slas.
 * - `routing_entries.queue_pinned`: the case was put in its queue by name,
 *   so attribute changes do not re-match it.
 * - Notifications of kind `sla_escalation`, and `notification_deliveries`:
 *   each email sent (or not) for a notification, with its status, the relay's
 *   message id or why no mail went.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE routing_entries ADD COLUMN next_breach_at timestamptz;
    -- True when a person or a rule put the case in this queue by name (transfer, SLA escalation, overflow):
    -- a later change of the case's attributes then does not re-match it by the queues' entry rules.
    ALTER TABLE routing_entries ADD COLUMN queue_pinned boolean NOT NULL DEFAULT false;
    UPDATE routing_entries e SET next_breach_at = s.next_breach_at
      FROM conversation_slas s
     WHERE s.workspace_id = e.workspace_id AND s.conversation_id = e.conversation_id AND s.active;
    DROP INDEX routing_entries_waiting_idx;
    CREATE INDEX routing_entries_waiting_idx ON routing_entries
      (workspace_id, priority_rank DESC, next_breach_at ASC NULLS LAST, waiting_since, conversation_id) WHERE state = 'waiting';

    ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
    ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('mention','assignment','sla_escalation'));

    CREATE TABLE notification_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      notification_id uuid NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
      channel text NOT NULL CHECK (channel IN ('email')),
      recipient text,
      status text NOT NULL CHECK (status IN ('queued','sent','failed','not_sent')),
      detail text,
      provider_message_id text,
      attempts integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, notification_id, channel)
    );
  `.execute(db)
  await sql.raw(`
    GRANT SELECT, INSERT, UPDATE, DELETE ON notification_deliveries TO omnidesk_app;
    ALTER TABLE notification_deliveries ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON notification_deliveries
      USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
      WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
  `).execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS notification_deliveries;
    DELETE FROM notifications WHERE kind = 'sla_escalation';
    ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
    ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('mention','assignment'));
    DROP INDEX routing_entries_waiting_idx;
    CREATE INDEX routing_entries_waiting_idx ON routing_entries (workspace_id, priority_rank DESC, waiting_since, conversation_id) WHERE state = 'waiting';
    ALTER TABLE routing_entries DROP COLUMN next_breach_at;
    ALTER TABLE routing_entries DROP COLUMN queue_pinned;
  `.execute(db)
}
