import { type Kysely, sql } from 'kysely'

/**
 * Routing: agents' presence, capacity and skills; ordered queues; each
 * routed case's place in routing (`routing_entries`); offers of live cases;
 * and the record of every routing decision. Tenant tables with RLS like 0001.
 */
const tables = ['agent_routing', 'routing_settings', 'routing_queues', 'routing_entries', 'routing_offers', 'routing_decisions'] as const

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE agent_routing (
      workspace_id uuid NOT NULL,
      user_id uuid NOT NULL,
      status text NOT NULL DEFAULT 'offline' CHECK (status IN ('online','away','busy','offline')),
      status_reason text,
      status_changed_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz,
      capacity jsonb NOT NULL DEFAULT '{}',
      skills jsonb NOT NULL DEFAULT '[]',
      last_assigned_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, user_id),
      FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
    );
    -- An agent's load is counted from the cases they hold: only assigned, active ones, which this index alone covers.
    CREATE INDEX conversations_routing_load_idx ON conversations (workspace_id, assignee_id, channel)
      WHERE assignee_id IS NOT NULL AND status IN ('open','pending','on_hold');
    CREATE INDEX agent_routing_online_idx ON agent_routing (workspace_id) WHERE status = 'online';

    CREATE TABLE routing_settings (
      workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
      transfer_note_required boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE routing_queues (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text NOT NULL,
      position integer NOT NULL,
      strategy text NOT NULL CHECK (strategy IN ('least_loaded','round_robin','skills','sticky')),
      match jsonb NOT NULL DEFAULT '{}',
      team_id uuid,
      required_skills jsonb NOT NULL DEFAULT '[]',
      preferred_skills jsonb NOT NULL DEFAULT '[]',
      sticky_minutes integer,
      fallback_strategy text CHECK (fallback_strategy IN ('least_loaded','round_robin','skills')),
      offer_timeout_seconds integer NOT NULL DEFAULT 30,
      overflow jsonb,
      release_on_offline boolean NOT NULL DEFAULT false,
      ab_test jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, team_id) REFERENCES teams(workspace_id, id) ON DELETE SET NULL (team_id)
    );
    CREATE UNIQUE INDEX routing_queues_name_idx ON routing_queues (workspace_id, lower(name));

    CREATE TABLE routing_entries (
      conversation_id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL,
      queue_id uuid NOT NULL,
      state text NOT NULL CHECK (state IN ('waiting','offered','assigned','done')),
      arm text CHECK (arm IN ('A','B')),
      ab_queue_id uuid,
      skill_level_drop integer NOT NULL DEFAULT 0,
      -- The conversation's priority as a rank (urgent 4 … low 1), kept here so the backlog's order is an index.
      priority_rank integer NOT NULL DEFAULT 2,
      queued_at timestamptz NOT NULL DEFAULT now(),
      entered_queue_at timestamptz NOT NULL DEFAULT now(),
      waiting_since timestamptz NOT NULL DEFAULT now(),
      assigned_at timestamptz,
      first_assigned_at timestamptz,
      assignee_id uuid,
      updated_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, queue_id) REFERENCES routing_queues(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX routing_entries_waiting_idx ON routing_entries (workspace_id, priority_rank DESC, waiting_since, conversation_id) WHERE state = 'waiting';
    CREATE INDEX routing_entries_queue_idx ON routing_entries (workspace_id, queue_id, state);
    CREATE INDEX routing_entries_ab_idx ON routing_entries (workspace_id, ab_queue_id) WHERE ab_queue_id IS NOT NULL;

    CREATE TABLE routing_offers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      conversation_id uuid NOT NULL,
      user_id uuid NOT NULL,
      queue_id uuid,
      channel text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','accepted','declined','expired','cancelled')),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      responded_at timestamptz,
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX routing_offers_pending_idx ON routing_offers (workspace_id, user_id) WHERE state = 'pending';
    CREATE INDEX routing_offers_conversation_idx ON routing_offers (conversation_id, created_at);

    CREATE TABLE routing_decisions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      conversation_id uuid NOT NULL,
      queue_id uuid,
      kind text NOT NULL,
      strategy text,
      strategy_version integer,
      arm text,
      candidates jsonb NOT NULL DEFAULT '[]',
      winner_id uuid,
      duration_ms double precision NOT NULL DEFAULT 0,
      reason text NOT NULL DEFAULT '',
      actor jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX routing_decisions_conversation_idx ON routing_decisions (workspace_id, conversation_id, created_at, id);
    CREATE INDEX routing_decisions_queue_idx ON routing_decisions (workspace_id, queue_id, created_at DESC, id DESC);
    CREATE INDEX routing_decisions_ws_idx ON routing_decisions (workspace_id, created_at DESC, id DESC);
  `.execute(db)

  for (const table of tables) {
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
  for (const table of [...tables].reverse()) await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db)
  await sql`DROP INDEX IF EXISTS conversations_routing_load_idx`.execute(db)
}
