import { type Kysely, sql } from 'kysely'

/**
 * Why an email identity bounced, and soft bounces that expire.
 *
 * `undeliverable_at` (0001) stays the hard-bounce mark: set by a bounce whose
 * reason means the address is gone, cleared only by an agent. The last
 * bounce's `bounce_reason` (bounce-reasons.ts), `bounce_diagnostic` (what the
 * remote server said), `bounce_status` (the DSN status code) and `bounced_at`
 * are kept for the agent. Soft bounces count in a streak: `soft_bounce_count`
 * bounces since the streak started, which ends at `soft_window_ends_at`; when
 * the count reaches the configured limit the address is paused until
 * `soft_blocked_until`, after which sending resumes by itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE contact_identities
      ADD COLUMN bounce_reason text,
      ADD COLUMN bounce_diagnostic text,
      ADD COLUMN bounce_status text,
      ADD COLUMN bounced_at timestamptz,
      ADD COLUMN soft_bounce_count integer NOT NULL DEFAULT 0,
      ADD COLUMN soft_window_ends_at timestamptz,
      ADD COLUMN soft_blocked_until timestamptz;
    UPDATE contact_identities SET bounce_reason = 'unknown', bounced_at = undeliverable_at WHERE undeliverable_at IS NOT NULL;
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE contact_identities
      DROP COLUMN bounce_reason,
      DROP COLUMN bounce_diagnostic,
      DROP COLUMN bounce_status,
      DROP COLUMN bounced_at,
      DROP COLUMN soft_bounce_count,
      DROP COLUMN soft_window_ends_at,
      DROP COLUMN soft_blocked_until;
  `.execute(db)
}
