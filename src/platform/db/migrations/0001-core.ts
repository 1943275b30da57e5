import { type Kysely, sql } from 'kysely'

/**
 * The core case model. Every tenant table carries workspace_id and a row-level
 * security policy keyed on the `omnidesk.workspace_id` setting that
 * `withTenant()` sets for the transaction; the application runs those
 * transactions as the unprivileged role omnidesk_app, so a repository that
 * forgets its workspace filter still cannot see another workspace's rows.
 */
export const tenantTables = [
  'users',
  'teams',
  'team_members',
  'api_tokens',
  'sessions',
  'contacts',
  'contact_identities',
  'contact_merges',
  'inboxes',
  'categories',
  'custom_fields',
  'tags',
  'conversations',
  'conversation_tags',
  'messages',
  'attachments',
  'events',
  'audit_events',
  'idempotency_keys',
] as const

export async function up(db: Kysely<unknown>): Promise<void> {
  // Roles are cluster-wide; several databases (test workers) may race to create it.
  await sql`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'omnidesk_app') THEN
        CREATE ROLE omnidesk_app NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`.execute(db)
  await sql`
    DO $$ BEGIN
      EXECUTE format('GRANT omnidesk_app TO %I', current_user);
    EXCEPTION WHEN others THEN NULL;
    END $$`.execute(db)

  await sql`
    CREATE TABLE workspaces (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      time_zone text NOT NULL DEFAULT 'UTC',
      default_locale text NOT NULL DEFAULT 'en',
      data_region text NOT NULL DEFAULT 'default',
      settings jsonb NOT NULL DEFAULT '{}',
      conversation_seq bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      email text NOT NULL,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('owner','admin','supervisor','agent','auditor')),
      password_hash text,
      active boolean NOT NULL DEFAULT true,
      instance_owner boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, email),
      UNIQUE (workspace_id, id)
    );
    CREATE INDEX users_email_idx ON users (email);

    CREATE TABLE teams (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text NOT NULL,
      description text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, name),
      UNIQUE (workspace_id, id)
    );
    CREATE TABLE team_members (
      workspace_id uuid NOT NULL,
      team_id uuid NOT NULL,
      user_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team_id, user_id),
      FOREIGN KEY (workspace_id, team_id) REFERENCES teams(workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
    );

    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      user_id uuid NOT NULL,
      name text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      token_prefix text NOT NULL,
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
    );

    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      user_id uuid NOT NULL,
      token_hash text NOT NULL UNIQUE,
      ip text,
      user_agent text,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, user_id) REFERENCES users(workspace_id, id) ON DELETE CASCADE
    );

    CREATE TABLE contacts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text,
      attributes jsonb NOT NULL DEFAULT '{}',
      merged_into_id uuid REFERENCES contacts(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id)
    );
    CREATE INDEX contacts_ws_created_idx ON contacts (workspace_id, created_at DESC, id DESC);
    CREATE INDEX contacts_name_idx ON contacts (workspace_id, lower(name) text_pattern_ops);

    CREATE TABLE contact_identities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('email','phone','whatsapp','messenger','instagram','telegram','widget','external')),
      value text NOT NULL,
      raw_value text NOT NULL,
      verified boolean NOT NULL DEFAULT false,
      undeliverable_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, kind, value),
      FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX contact_identities_contact_idx ON contact_identities (contact_id);
    CREATE INDEX contact_identities_value_idx ON contact_identities (workspace_id, value text_pattern_ops);

    CREATE TABLE contact_merges (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      source_contact_id uuid NOT NULL,
      target_contact_id uuid NOT NULL,
      moved jsonb NOT NULL,
      conflicts jsonb NOT NULL DEFAULT '[]',
      merged_by uuid,
      undone_at timestamptz,
      undone_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, source_contact_id) REFERENCES contacts(workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, target_contact_id) REFERENCES contacts(workspace_id, id) ON DELETE CASCADE
    );

    CREATE TABLE inboxes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('email','chat','sms','whatsapp','messenger','instagram','telegram','voice','api')),
      config jsonb NOT NULL DEFAULT '{}',
      secrets text,
      active boolean NOT NULL DEFAULT true,
      is_default boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id)
    );
    CREATE UNIQUE INDEX inboxes_email_address_idx ON inboxes (lower(config->>'address')) WHERE channel = 'email';
    CREATE UNIQUE INDEX inboxes_default_idx ON inboxes (workspace_id) WHERE is_default;

    CREATE TABLE categories (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      parent_id uuid,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, parent_id) REFERENCES categories(workspace_id, id) ON DELETE CASCADE
    );
    CREATE UNIQUE INDEX categories_name_idx ON categories (workspace_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));

    CREATE TABLE custom_fields (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      key text NOT NULL,
      label text NOT NULL,
      type text NOT NULL CHECK (type IN ('text','number','boolean','date','select')),
      options jsonb NOT NULL DEFAULT '[]',
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, key)
    );

    CREATE TABLE tags (
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text NOT NULL,
      color text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, name)
    );

    CREATE TABLE conversations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      number bigint NOT NULL,
      subject text,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','pending','on_hold','solved','closed')),
      priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),
      contact_id uuid NOT NULL,
      inbox_id uuid NOT NULL,
      channel text NOT NULL,
      team_id uuid,
      assignee_id uuid,
      category_id uuid,
      custom_fields jsonb NOT NULL DEFAULT '{}',
      first_inbound_at timestamptz,
      first_response_at timestamptz,
      last_customer_message_at timestamptz,
      last_message_at timestamptz,
      solved_at timestamptz,
      closed_at timestamptz,
      reopened_at timestamptz,
      reopen_count integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, number),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts(workspace_id, id),
      FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes(workspace_id, id),
      FOREIGN KEY (workspace_id, team_id) REFERENCES teams(workspace_id, id) ON DELETE SET NULL (team_id),
      FOREIGN KEY (workspace_id, assignee_id) REFERENCES users(workspace_id, id) ON DELETE SET NULL (assignee_id),
      FOREIGN KEY (workspace_id, category_id) REFERENCES categories(workspace_id, id) ON DELETE SET NULL (category_id)
    );
    CREATE INDEX conversations_list_idx ON conversations (workspace_id, updated_at DESC, id DESC);
    CREATE INDEX conversations_contact_idx ON conversations (contact_id);
    CREATE INDEX conversations_assignee_idx ON conversations (workspace_id, assignee_id, status);

    CREATE TABLE conversation_tags (
      workspace_id uuid NOT NULL,
      conversation_id uuid NOT NULL,
      tag text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (conversation_id, tag),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, tag) REFERENCES tags(workspace_id, name) ON DELETE CASCADE
    );
    CREATE INDEX conversation_tags_tag_idx ON conversation_tags (workspace_id, tag);

    CREATE TABLE messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      conversation_id uuid NOT NULL,
      inbox_id uuid,
      direction text NOT NULL CHECK (direction IN ('inbound','outbound','note')),
      channel text NOT NULL,
      author_type text NOT NULL CHECK (author_type IN ('contact','user','bot','system')),
      author_id uuid,
      text text NOT NULL DEFAULT '',
      html text,
      provider_message_id text,
      delivery_status text CHECK (delivery_status IN ('queued','sent','delivered','deferred','failed','not_delivered')),
      delivery_error text,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id),
      FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at, id);
    CREATE UNIQUE INDEX messages_provider_id_idx ON messages (workspace_id, inbox_id, provider_message_id) WHERE provider_message_id IS NOT NULL;

    CREATE TABLE attachments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL,
      message_id uuid NOT NULL,
      filename text NOT NULL,
      content_type text NOT NULL,
      size bigint NOT NULL,
      blob_key text NOT NULL,
      content_id text,
      inline boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, message_id) REFERENCES messages(workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX attachments_message_idx ON attachments (message_id);

    CREATE TABLE events (
      id bigserial PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      type text NOT NULL,
      conversation_id uuid,
      contact_id uuid,
      actor jsonb NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      dispatched_at timestamptz,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      last_error text
    );
    CREATE INDEX events_pending_idx ON events (id) WHERE dispatched_at IS NULL;
    CREATE INDEX events_conversation_idx ON events (conversation_id, id) WHERE conversation_id IS NOT NULL;

    -- Which listener has handled which event: makes at-least-once delivery
    -- idempotent per listener, and lets a retry skip listeners that succeeded.
    CREATE TABLE event_listener_runs (
      event_id bigint NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      listener_id text NOT NULL,
      completed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (event_id, listener_id)
    );

    CREATE TABLE audit_events (
      id bigserial PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces(id),
      seq bigint NOT NULL,
      actor_type text NOT NULL,
      actor_id text,
      actor_label text,
      action text NOT NULL,
      entity_type text NOT NULL,
      entity_id text,
      changes jsonb,
      ip text,
      request_id text,
      created_at timestamptz NOT NULL,
      prev_hash text NOT NULL,
      hash text NOT NULL,
      UNIQUE (workspace_id, seq)
    );

    CREATE TABLE idempotency_keys (
      workspace_id uuid NOT NULL,
      key text NOT NULL,
      principal text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      request_hash text NOT NULL,
      status_code integer,
      response jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, principal, key)
    );
  `.execute(db)

  // Append-only audit: no role, not even the owner, may rewrite history.
  await sql`
    CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
  `.execute(db)

  await sql`GRANT USAGE ON SCHEMA public TO omnidesk_app`.execute(db)
  await sql`GRANT SELECT, UPDATE ON workspaces TO omnidesk_app`.execute(db)
  await sql`GRANT SELECT, INSERT ON event_listener_runs TO omnidesk_app`.execute(db)
  await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO omnidesk_app`.execute(db)
  await sql`
    ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON workspaces USING (id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
  `.execute(db)
  for (const table of tenantTables) {
    const grants = table === 'audit_events' ? 'SELECT, INSERT' : 'SELECT, INSERT, UPDATE, DELETE'
    await sql.raw(`
      GRANT ${grants} ON ${table} TO omnidesk_app;
      ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant ON ${table}
        USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
        WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
    `).execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP SCHEMA public CASCADE; CREATE SCHEMA public;`.execute(db)
}
