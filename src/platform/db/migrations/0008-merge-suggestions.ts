import { type Kysely, sql } from 'kysely'

/**
 * Merge suggestions from unverified evidence (docs/channels/README.md,
 * "Identity and merge suggestions"): a channel that sees an unverified claim
 * matching another contact (an email typed in a chat's pre-chat form, a
 * widget identity without a valid hash) records that the two contacts may be
 * one person. An agent accepts (the existing merge runs: `contact_b` into
 * `contact_a`) or rejects. At most one open suggestion per pair, whatever the
 * order of the two.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE contact_merge_suggestions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      contact_a_id uuid NOT NULL,
      contact_b_id uuid NOT NULL,
      evidence jsonb NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
      merge_id uuid,
      decided_by uuid,
      decided_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      CHECK (contact_a_id <> contact_b_id),
      FOREIGN KEY (workspace_id, contact_a_id) REFERENCES contacts(workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, contact_b_id) REFERENCES contacts(workspace_id, id) ON DELETE CASCADE
    );
    CREATE UNIQUE INDEX contact_merge_suggestions_open_pair_idx
      ON contact_merge_suggestions (workspace_id, least(contact_a_id, contact_b_id), greatest(contact_a_id, contact_b_id))
      WHERE status = 'open';
    CREATE INDEX contact_merge_suggestions_list_idx ON contact_merge_suggestions (workspace_id, status, created_at DESC, id DESC);
  `.execute(db)
  await sql`
    GRANT SELECT, INSERT, UPDATE, DELETE ON contact_merge_suggestions TO omnidesk_app;
    ALTER TABLE contact_merge_suggestions ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant ON contact_merge_suggestions
      USING (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid)
      WITH CHECK (workspace_id = nullif(current_setting('omnidesk.workspace_id', true), '')::uuid);
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS contact_merge_suggestions`.execute(db)
}
