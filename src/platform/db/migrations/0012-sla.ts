import { type Kysely, sql } from 'kysely'

/**
 * Service levels (issue #10): business calendars, ordered SLA policies, the
 * per-conversation clock state (its facts and the last evaluation) and every
 * start, pause, resume, fulfilment, warning, breach and escalation of a clock.
 */
const tenantTables = ['business_calendars', 'sla_policies', 'conversation_slas', 'sla_clock_events']

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE business_calendars (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text NOT NULL,
      time_zone text NOT NULL,
      weekly_hours jsonb NOT NULL,
      holidays jsonb NOT NULL DEFAULT '[]',
      holiday_region text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, name),
      UNIQUE (workspace_id, id)
    );

    CREATE TABLE sla_policies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text NOT NULL,
      calendar_id uuid,
      position integer NOT NULL,
      active boolean NOT NULL DEFAULT true,
      rules jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, name),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, calendar_id) REFERENCES business_calendars(workspace_id, id)
    );
    CREATE INDEX sla_policies_order_idx ON sla_policies (workspace_id, position, created_at);

    CREATE TABLE conversation_slas (
      conversation_id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL,
      policy_id uuid,
      facts jsonb NOT NULL DEFAULT '[]',
      evaluation jsonb,
      first_response_due_at timestamptz,
      next_response_due_at timestamptz,
      resolution_due_at timestamptz,
      next_breach_at timestamptz,
      breached boolean NOT NULL DEFAULT false,
      active boolean NOT NULL DEFAULT true,
      next_check_at timestamptz,
      evaluated_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX conversation_slas_check_idx ON conversation_slas (next_check_at) WHERE next_check_at IS NOT NULL;
    CREATE INDEX conversation_slas_active_idx ON conversation_slas (workspace_id, conversation_id) WHERE active;
    CREATE INDEX conversation_slas_breach_idx ON conversation_slas (workspace_id, next_breach_at) WHERE next_breach_at IS NOT NULL;

    CREATE TABLE sla_clock_events (
      id bigserial PRIMARY KEY,
      workspace_id uuid NOT NULL,
      conversation_id uuid NOT NULL,
      key text NOT NULL,
      clock text NOT NULL,
      cycle integer NOT NULL,
      kind text NOT NULL,
      percent real,
      at timestamptz NOT NULL,
      policy_id uuid,
      text text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, conversation_id, key),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE
    );
  `.execute(db)
  for (const table of tenantTables) {
    await sql.raw(`
      GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO omnidesk_app;
      ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant ON ${table}
        USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
        WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
    `).execute(db)
  }
  await sql`GRANT USAGE, SELECT ON SEQUENCE sla_clock_events_id_seq TO omnidesk_app`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE sla_clock_events; DROP TABLE conversation_slas; DROP TABLE sla_policies; DROP TABLE business_calendars;`.execute(db)
}
