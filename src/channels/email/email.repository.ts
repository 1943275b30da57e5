import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row, RowUpdate } from '../../platform/db/schema.ts'

export interface RecipientInbox {
  workspaceId: string
  inboxId: string
  address: string
}

/**
 * Active email inboxes for these (lower-cased, plus-stripped) addresses. Looks
 * across workspaces: call only inside withSystem (inbound routing by address).
 */
export async function findEmailInboxesByAddressAnyWorkspace(trx: Tx, addresses: string[]): Promise<RecipientInbox[]> {
  if (addresses.length === 0) return []
  const rows = await trx
    .selectFrom('inboxes')
    .select(['id', 'workspace_id', sql<string>`lower(config->>'address')`.as('address')])
    .where('channel', '=', 'email')
    .where('active', '=', true)
    .where(sql<string>`lower(config->>'address')`, 'in', addresses)
    .execute()
  return rows.map((r) => ({ workspaceId: r.workspace_id, inboxId: r.id, address: r.address }))
}

/**
 * Makes every received row due now, across workspaces: the claims and backoffs
 * of a process that is gone. Only safe where one process owns the database
 * (the embedded one); `attempts` still bounds how often a row is tried.
 */
export async function releaseClaimsAnyWorkspace(trx: Tx): Promise<number> {
  const r = await trx.updateTable('inbound_emails').set({ next_attempt_at: null }).where('status', '=', 'received').where('next_attempt_at', 'is not', null).executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** Inserts one row; a repeat of (inbox, dedupe_key) is absorbed: returns null. */
export async function insertInbound(
  trx: Tx,
  workspaceId: string,
  v: { inboxId: string; rawBlobKey: string; rawSha256: string; size: number; messageIdHeader: string | null; dedupeKey: string; envelopeFrom: string | null; envelopeTo: string[] },
): Promise<string | null> {
  const row = await trx
    .insertInto('inbound_emails')
    .values({
      workspace_id: workspaceId,
      inbox_id: v.inboxId,
      raw_blob_key: v.rawBlobKey,
      raw_sha256: v.rawSha256,
      size: v.size,
      message_id_header: v.messageIdHeader,
      dedupe_key: v.dedupeKey,
      envelope_from: v.envelopeFrom,
      envelope_to: v.envelopeTo,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'inbox_id', 'dedupe_key']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row?.id ?? null
}

export function findInbound(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('inbound_emails').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function listInbound(
  trx: Tx,
  workspaceId: string,
  opts: { status?: string | undefined; classification?: string | undefined; limit: number; after: [string, string] | null },
) {
  let q = trx.selectFrom('inbound_emails').selectAll().where('workspace_id', '=', workspaceId)
  if (opts.status) q = q.where('status', '=', opts.status)
  if (opts.classification) q = q.where('classification', '=', opts.classification)
  if (opts.after) {
    const [at, id] = opts.after
    q = q.where((eb) => eb.or([eb('received_at', '<', new Date(at)), eb.and([eb('received_at', '=', new Date(at)), eb('id', '<', id)])]))
  }
  return q.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute()
}

/** Updates a row; with `whenStatus`, only if it is still in that status (returns undefined otherwise). */
export function updateInbound(trx: Tx, workspaceId: string, id: string, patch: RowUpdate<'inbound_emails'>, whenStatus?: string): Promise<Row<'inbound_emails'> | undefined> {
  let q = trx.updateTable('inbound_emails').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (whenStatus) q = q.where('status', '=', whenStatus)
  return q.returningAll().executeTakeFirst()
}

/** How long a claim keeps other processors off a row; after a crash the row is taken again then. */
export const CLAIM_LEASE_SECONDS = 60

/**
 * Claims up to `limit` due rows, oldest first, across workspaces (call only
 * inside withSystem), in one statement: each gets one attempt more and is
 * hidden from other processors for the lease, so two processors never work on
 * one row at the same time; after a crash the row is taken again then. SKIP LOCKED
 * lets processors on other nodes claim the next rows instead of waiting.
 * Returns the claimed rows (attempts already counted) oldest first.
 */
export async function claimDueAnyWorkspace(trx: Tx, limit: number): Promise<Array<Row<'inbound_emails'>>> {
  const rows = await trx
    .updateTable('inbound_emails')
    .set({ attempts: sql<number>`attempts + 1`, next_attempt_at: sql<Date>`now() + make_interval(secs => ${CLAIM_LEASE_SECONDS})` })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('inbound_emails')
        .select('id')
        .where('status', '=', 'received')
        .where((w) => w.or([w('next_attempt_at', 'is', null), w('next_attempt_at', '<=', sql<Date>`now()`)]))
        .orderBy('received_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute()
  return rows.sort((a, b) => a.received_at.getTime() - b.received_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * The conversation of a message we sent or received with one of these
 * Message-IDs (messages.provider_message_id of email messages is the
 * `<id>` Message-ID). Reads the conversations module's table: simple
 * threading until that module exposes a lookup.
 */
export function conversationsByProviderIds(trx: Tx, workspaceId: string, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([])
  return trx
    .selectFrom('messages')
    .select(['conversation_id', 'provider_message_id'])
    .where('workspace_id', '=', workspaceId)
    .where('provider_message_id', 'in', ids)
    .execute()
}

/**
 * Takes a transaction-level advisory lock on each Message-ID a mail is or
 * names (its own, In-Reply-To, References), in one sorted order so two mails
 * never wait on each other crosswise. A reply and its parent share at least
 * the parent's id: the second to lock waits until the first committed, then
 * sees its message (READ COMMITTED takes a new snapshot per statement).
 * Must run before the transaction reads anything it decides on.
 */
export async function lockThreadKeys(trx: Tx, workspaceId: string, messageIds: string[]): Promise<void> {
  const keys = [...new Set(messageIds)].sort().map((id) => `email-thread:${workspaceId}:${id}`)
  if (keys.length === 0) return
  // A function scan of unnest() yields the array in order, so the locks are taken in `keys` order.
  await sql`select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest(${keys}::text[]) as k`.execute(trx)
}

/**
 * Conversations holding an inbound email that names `messageId` in its
 * In-Reply-To or References: replies that arrived before this message, oldest
 * first. The expression is the one indexed by migration 0005.
 */
export function repliesArrivedFirst(trx: Tx, workspaceId: string, messageId: string) {
  return trx
    .selectFrom('messages')
    .select(['conversation_id', 'provider_message_id'])
    .where('workspace_id', '=', workspaceId)
    .where('channel', '=', 'email')
    .where('direction', '=', 'inbound')
    .where(sql<boolean>`((metadata->'email'->'inReplyTo') || (metadata->'email'->'references')) @> jsonb_build_array(${messageId}::text)`)
    .orderBy('created_at')
    .limit(10)
    .execute()
}

/** Whether a conversation with this id exists in the workspace (a verified token may name a deleted one). */
export async function conversationExists(trx: Tx, workspaceId: string, id: string): Promise<boolean> {
  const r = await trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
  return r !== undefined
}

/**
 * Still-open (not solved or closed) conversations of the contact with this
 * email address, active in the last `days` days, most recent first: the
 * candidates of the subject fallback. Reads the conversations and contacts
 * tables directly, like conversationsByProviderIds.
 *
 * The identity is looked up first, by its unique key (email identities are
 * stored trimmed and lower-cased): comparing lower(value) in a join made the
 * planner, short of statistics on PGlite, test every email identity of the
 * workspace for every open conversation (12 ms at 150 conversations).
 */
export function openConversationsOfSender(trx: Tx, workspaceId: string, email: string, days: number) {
  return trx
    .selectFrom('conversations as c')
    .select(['c.id', 'c.number', 'c.subject'])
    .where('c.workspace_id', '=', workspaceId)
    .where('c.contact_id', '=', (eb) =>
      eb.selectFrom('contact_identities').select('contact_id').where('workspace_id', '=', workspaceId).where('kind', '=', 'email').where('value', '=', email.trim().toLowerCase()),
    )
    .where('c.status', 'not in', ['solved', 'closed'])
    .where(sql<Date>`coalesce(c.last_message_at, c.created_at)`, '>=', sql<Date>`now() - make_interval(days => ${days})`)
    .orderBy(sql`coalesce(c.last_message_at, c.created_at)`, 'desc')
    .limit(50)
    .execute()
}

/** The `threading` settings of an email inbox as stored (validated by the caller). */
export async function inboxThreadingSettings(trx: Tx, workspaceId: string, inboxId: string): Promise<unknown> {
  const r = await trx
    .selectFrom('inboxes')
    .select(sql<unknown>`config->'threading'`.as('threading'))
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', inboxId)
    .executeTakeFirst()
  return r?.threading ?? null
}
