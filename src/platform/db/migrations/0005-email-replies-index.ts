import { type Kysely, sql } from 'kysely'

/**
 * Out-of-order email threading: when a mail would open a new case, the email
 * pipeline asks whether a stored inbound email already names its Message-ID in
 * In-Reply-To or References (the reply arrived first). This GIN index answers
 * that without scanning the workspace's messages; its expression must match
 * repliesArrivedFirst() in src/channels/email/email.repository.ts. Only inbound
 * email messages: their metadata is written by the email pipeline, never by
 * an API client.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX messages_email_replied_to_idx ON messages
      USING gin (((metadata->'email'->'inReplyTo') || (metadata->'email'->'references')) jsonb_path_ops)
      WHERE channel = 'email' AND direction = 'inbound'
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS messages_email_replied_to_idx`.execute(db)
}
