import { type Kysely, sql } from 'kysely'

/**
 * Messaging channels (WhatsApp, Messenger, Instagram, Telegram):
 * - `read` joins the delivery statuses an outbound message can have (the
 *   provider saw the customer open it);
 * - `whatsapp_templates`: a WhatsApp inbox's message templates, the only
 *   thing that may be sent outside the 24-hour customer-service window.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_delivery_status_check;
    ALTER TABLE messages ADD CONSTRAINT messages_delivery_status_check
      CHECK (delivery_status IN ('queued','sent','delivered','read','deferred','failed','not_delivered'));

    CREATE TABLE whatsapp_templates (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      inbox_id uuid NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (name ~ '^[a-z0-9_]+$' AND length(name) <= 512),
      language text NOT NULL CHECK (language ~ '^[a-z]{2,3}(_[A-Z]{2})?$'),
      category text NOT NULL DEFAULT 'utility' CHECK (category IN ('marketing','utility','authentication')),
      body text NOT NULL CHECK (length(body) BETWEEN 1 AND 1024),
      variable_count integer NOT NULL DEFAULT 0,
      status text NOT NULL DEFAULT 'approved' CHECK (status IN ('approved','pending','rejected','paused','disabled')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, inbox_id, name, language)
    );
    CREATE INDEX whatsapp_templates_inbox_idx ON whatsapp_templates (workspace_id, inbox_id, name);
    GRANT SELECT, INSERT, UPDATE, DELETE ON whatsapp_templates TO omnidesk_app;
    ALTER TABLE whatsapp_templates ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON whatsapp_templates
      USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
      WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE whatsapp_templates;
    UPDATE messages SET delivery_status = 'delivered' WHERE delivery_status = 'read';
    ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_delivery_status_check;
    ALTER TABLE messages ADD CONSTRAINT messages_delivery_status_check
      CHECK (delivery_status IN ('queued','sent','delivered','deferred','failed','not_delivered'));
  `.execute(db)
}
