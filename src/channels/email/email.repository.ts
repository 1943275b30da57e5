import { sql } from 'kysely'
import type { Db } from '../../platform/db/database.ts'
import { preparedQuery } from '../../platform/db/prepared-query.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row, RowUpdate } from '../../platform/db/schema.ts'

export interface RecipientInbox {
  workspaceId: string
  inboxId: string
  address: string
}

/**
 * Active email inboxes for these (lower-cased, plus-stripped) addresses. Looks
 * across workspaces: call only with the system role (inbound routing by address).
 */
export async function findEmailInboxesByAddressAnyWorkspace(db: Db | Tx, addresses: string[]): Promise<RecipientInbox[]> {
  if (addresses.length === 0) return []
  const { rows } = await inboxesByAddress(db, addresses)
  return rows.map((r) => ({ workspaceId: r.workspace_id, inboxId: r.id, address: r.address }))
}

// Every RCPT runs this: built and compiled once (prepared-query.ts). `channel = 'email'` is SQL, not a
// parameter, so a generic plan can still use the partial index on the address (inboxes_email_address_idx).
const inboxesByAddress = preparedQuery((db, addresses: string[]) =>
  db
    .selectFrom('inboxes')
    .select(['id', 'workspace_id', sql<string>`lower(config->>'address')`.as('address')])
    .where(sql<boolean>`channel = 'email'`)
    .where(sql<boolean>`active`)
    .where(sql<string>`lower(config->>'address')`, '=', sql<string>`any(${addresses}::text[])`),
)

/**
 * Makes every received row due now, across workspaces: the claims and backoffs
 * of a process that is gone. Only safe where one process owns the database
 * (the embedded one); `attempts` still bounds how often a row is tried.
 */
export async function releaseClaimsAnyWorkspace(trx: Tx): Promise<number> {
  const r = await trx.updateTable('inbound_emails').set({ next_attempt_at: null }).where('status', '=', 'received').where('next_attempt_at', 'is not', null).executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** What storeInboundGroupAnyWorkspace did for one recipient inbox. */
export interface StoredInbound {
  inboxId: string
  /** The new row, or null: the inbox already had this message (same dedupe key). */
  id: string | null
}

/** One message for the inboxes of one workspace, as the SMTP store or the IMAP poller received it. */
export interface InboundToStore {
  workspaceId: string
  inboxIds: string[]
  rawBlobKey: string
  rawSha256: string
  size: number
  messageIdHeader: string | null
  dedupeKey: string
  envelopeFrom: string | null
  envelopeTo: string[]
}

/**
 * Stores several messages in one statement (no transaction of its own: it
 * commits when it returns, before the SMTP 250s): one row per recipient inbox
 * that is still an active email inbox of the message's workspace. A repeat of
 * (inbox, dedupe_key) is absorbed; the caller must not pass the same
 * (workspace, inbox, dedupe key) twice in one call (group-commit.ts keeps them
 * apart), so each answer says truthfully whether its own row is new. Answers
 * one list per message, in order; inboxes deactivated meanwhile are left out.
 * The workspace id is checked against each inbox's own row, so a row never
 * lands in another workspace. Call only with the system role (inbound routing
 * by address). All rows share one received_at (the statement's): messages
 * whose DATA ended together have no order of their own to keep.
 */
export async function storeInboundGroupAnyWorkspace(db: Db, messages: InboundToStore[]): Promise<StoredInbound[][]> {
  if (messages.length === 0) return []
  const input = messages.flatMap((m, n) =>
    m.inboxIds.map((inboxId) => ({
      n,
      workspace_id: m.workspaceId,
      inbox_id: inboxId,
      raw_blob_key: m.rawBlobKey,
      raw_sha256: m.rawSha256,
      size: m.size,
      message_id_header: m.messageIdHeader,
      dedupe_key: m.dedupeKey,
      envelope_from: m.envelopeFrom,
      envelope_to: m.envelopeTo,
    })),
  )
  const { rows } = await sql<{ n: number; inbox_id: string; id: string | null }>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as x(
        n int, workspace_id uuid, inbox_id uuid, raw_blob_key text, raw_sha256 text, size bigint,
        message_id_header text, dedupe_key text, envelope_from text, envelope_to jsonb)
    ), target as (
      select input.* from input
      join inboxes i on i.id = input.inbox_id and i.workspace_id = input.workspace_id and i.channel = 'email' and i.active
    ), stored as (
      insert into inbound_emails (workspace_id, inbox_id, raw_blob_key, raw_sha256, size, message_id_header, dedupe_key, envelope_from, envelope_to)
      select workspace_id, inbox_id, raw_blob_key, raw_sha256, size, message_id_header, dedupe_key, envelope_from,
        array(select jsonb_array_elements_text(envelope_to)) from target order by n
      on conflict (workspace_id, inbox_id, dedupe_key) do nothing
      returning id, workspace_id, inbox_id, dedupe_key
    )
    select target.n, target.inbox_id, stored.id from target
    left join stored on stored.workspace_id = target.workspace_id and stored.inbox_id = target.inbox_id and stored.dedupe_key = target.dedupe_key`.execute(db)
  const out: StoredInbound[][] = messages.map(() => [])
  for (const r of rows) out[r.n]?.push({ inboxId: r.inbox_id, id: r.id })
  return out
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

/** What a processed mail leaves on its row (inbound-handler.ts); a batch's are written by one statement. */
export interface InboundOutcome {
  id: string
  status: 'processed' | 'ignored'
  classification: string
  classificationDetails: Record<string, unknown>
  reason: string | null
  fromAddress: string | null
  subject: string | null
  /** Customer mail: where it was filed and why. Null (automated mail) leaves those columns as they are. */
  filed: { conversationId: string; messageId: string; threading: Record<string, unknown> } | null
  processedAt: Date
}

/**
 * Writes the outcomes of the mails of one transaction in one statement, at
 * its end (one UPDATE per mail before). Every outcome also clears last_error.
 */
export async function recordOutcomes(trx: Tx, workspaceId: string, outcomes: InboundOutcome[]): Promise<void> {
  if (outcomes.length === 0) return
  const input = outcomes.map((o) => ({
    id: o.id,
    status: o.status,
    classification: o.classification,
    classification_details: o.classificationDetails,
    reason: o.reason,
    from_address: o.fromAddress,
    subject: o.subject,
    filed: o.filed !== null,
    conversation_id: o.filed?.conversationId ?? null,
    message_id: o.filed?.messageId ?? null,
    threading: o.filed?.threading ?? null,
    processed_at: o.processedAt.toISOString(),
  }))
  await sql`
    update inbound_emails e set status = v.status, classification = v.classification, classification_details = v.classification_details,
      reason = v.reason, from_address = v.from_address, subject = v.subject,
      conversation_id = case when v.filed then v.conversation_id else e.conversation_id end,
      message_id = case when v.filed then v.message_id else e.message_id end,
      threading = case when v.filed then v.threading else e.threading end,
      processed_at = v.processed_at, last_error = null
    from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as v(
      id uuid, status text, classification text, classification_details jsonb, reason text, from_address text, subject text,
      filed boolean, conversation_id uuid, message_id uuid, threading jsonb, processed_at timestamptz)
    where e.workspace_id = ${workspaceId} and e.id = v.id`.execute(trx)
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
 * Undoes claims that were not worked on (a batch claimed ahead when the
 * processor stopped): due again at once, the attempt not counted. Across
 * workspaces: call only inside withSystem.
 */
export async function unclaimAnyWorkspace(trx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return
  await trx
    .updateTable('inbound_emails')
    .set({ attempts: sql<number>`greatest(attempts - 1, 0)`, next_attempt_at: null })
    .where('id', 'in', ids)
    .where('status', '=', 'received')
    .execute()
}

/**
 * Takes a transaction-level advisory lock on each Message-ID the mails of a
 * transaction are or name (their own, In-Reply-To, References), all at once
 * and in one sorted order, so two transactions never wait on each other
 * crosswise, and reads the `threading` settings of `inboxIds` as stored
 * (validated by the caller), in one statement. A reply and its parent share
 * at least the parent's id: the second to lock waits until the first
 * committed, then sees its message (READ COMMITTED takes a new snapshot per
 * statement). Must run before the transaction reads anything it decides on.
 * With `lockTimeoutMs`, every later lock wait of the transaction gives up
 * after that long (`lock_timeout`, set after the thread locks are held): a
 * batch of mails, which takes its later locks out of the documented order,
 * yields instead of joining a cycle (see inbound-processor.ts).
 * `thenKeys`: further advisory lock keys (whole keys, e.g. conversations'
 * providerMessageLockKey) taken in the same statement after the thread locks.
 * Returns the stored settings by inbox id.
 */
export async function lockThreadKeysReadSettings(
  trx: Tx,
  workspaceId: string,
  inboxIds: string[],
  messageIds: string[],
  opts: { lockTimeoutMs?: number; thenKeys?: string[] } = {},
): Promise<Map<string, unknown>> {
  // The thread locks, then the other first-rank keys (conversations' provider message ids), each set sorted:
  // a transaction of one mail takes its thread locks and then its provider key, the same order.
  const keys = [...[...new Set(messageIds)].sort().map((id) => `email-thread:${workspaceId}:${id}`), ...[...new Set(opts.thenKeys ?? [])].sort()]
  // A function scan of unnest() yields the array in order, so the locks are taken in `keys` order.
  // The outer select list is computed once the aggregate below it (every lock) is done, so the
  // lock timeout applies to the locks taken after this statement only. The settings are not what
  // the locks protect, so reading them in the same statement is fine.
  const timeout = opts.lockTimeoutMs === undefined ? sql`null` : sql`set_config('lock_timeout', ${`${Math.max(1, Math.round(opts.lockTimeoutMs))}ms`}, true)`
  const { rows } = await sql<{ locked: string; timeout: string | null; threading: Record<string, unknown> | null }>`
    select l.locked, ${timeout} as timeout,
           (select jsonb_object_agg(id, coalesce(config->'threading', 'null'::jsonb)) from inboxes where workspace_id = ${workspaceId} and id = any(${[...new Set(inboxIds)]}::uuid[])) as threading
    from (select count(*) as locked from (select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest(${keys}::text[]) as k) x) l`.execute(trx)
  return new Map(Object.entries(rows[0]?.threading ?? {}))
}

/** What threading looks at, read in one statement by threadingCandidates. */
export interface ThreadingCandidates {
  /** Messages we sent or received with one of the mail's In-Reply-To/References ids. */
  byHeader: Array<{ conversationId: string; providerMessageId: string }>
  /** Inbound emails naming the mail's own Message-ID (replies that arrived first), oldest first. */
  repliesFirst: Array<{ conversationId: string; providerMessageId: string | null }>
  /** The sender's still-open conversations active in the last `days` days, most recent first. */
  openOfSender: Array<{ id: string; number: string; subject: string | null }>
  /** Whether the inbox already holds a message with the mail's provider message id (`q.stored`): a duplicate. */
  stored: boolean
}

/**
 * Everything threading may decide on, in one statement of three parts:
 * - the conversations of messages (`messages.provider_message_id`, the
 *   `<id>` Message-ID of email messages) named in `headerIds`;
 * - conversations holding an inbound email that names `ownId` in its
 *   In-Reply-To or References (the expression indexed by migration 0005);
 * - the still-open (not solved or closed) conversations of the contact with
 *   the email address `sender`, active in the last `days` days (0: none). The
 *   identity is looked up by its unique key (stored trimmed, lower-cased):
 *   comparing lower(value) in a join made the planner, short of statistics on
 *   PGlite, test every identity of the workspace for every open conversation.
 * - with `stored`, whether that inbox already has a message with that
 *   provider message id (the duplicate check of conversations' intake, done
 *   here after the caller took its lock: see InboundMessage.providerMessageIdChecked).
 * Reads the conversations module's tables directly: threading until that
 * module exposes these lookups.
 */
export async function threadingCandidates(
  trx: Tx,
  workspaceId: string,
  q: { headerIds: string[]; ownId: string | null; sender: string | null; days: number; stored?: { inboxId: string; providerMessageId: string } | undefined },
): Promise<ThreadingCandidates> {
  const sender = q.sender?.trim().toLowerCase() ?? null
  const { rows } = await sql<{ kind: 'header' | 'reply' | 'subject' | 'stored'; conversation_id: string; provider_message_id: string | null; number: string | null; subject: string | null; at: Date | null }>`
    select 'header' as kind, conversation_id, provider_message_id, null::bigint as number, null::text as subject, null::timestamptz as at
      from messages where workspace_id = ${workspaceId} and provider_message_id = any(${q.headerIds}::text[])
    union all
    (select 'stored', conversation_id, null, null, null, null
      from messages where ${q.stored?.inboxId ?? null}::uuid is not null and workspace_id = ${workspaceId}
        and inbox_id = ${q.stored?.inboxId ?? null}::uuid and provider_message_id = ${q.stored?.providerMessageId ?? null}::text
      limit 1)
    union all
    (select 'reply', conversation_id, provider_message_id, null, null, created_at
      from messages
      where ${q.ownId}::text is not null and workspace_id = ${workspaceId} and channel = 'email' and direction = 'inbound'
        and ((metadata->'email'->'inReplyTo') || (metadata->'email'->'references')) @> jsonb_build_array(${q.ownId}::text)
      order by created_at limit 10)
    union all
    (select 'subject', c.id, null, c.number, c.subject, coalesce(c.last_message_at, c.created_at)
      from conversations c
      where ${q.days}::int > 0 and ${sender}::text is not null and c.workspace_id = ${workspaceId}
        and c.contact_id = (select contact_id from contact_identities where workspace_id = ${workspaceId} and kind = 'email' and value = ${sender}::text)
        and c.status not in ('solved', 'closed')
        and coalesce(c.last_message_at, c.created_at) >= now() - make_interval(days => ${q.days}::int)
      order by coalesce(c.last_message_at, c.created_at) desc limit 50)`.execute(trx)
  const at = (r: { at: Date | null }) => r.at?.getTime() ?? 0
  const of = (kind: string) => rows.filter((r) => r.kind === kind)
  return {
    byHeader: of('header').map((r) => ({ conversationId: r.conversation_id, providerMessageId: r.provider_message_id as string })),
    repliesFirst: of('reply')
      .sort((a, b) => at(a) - at(b))
      .map((r) => ({ conversationId: r.conversation_id, providerMessageId: r.provider_message_id })),
    openOfSender: of('subject')
      .sort((a, b) => at(b) - at(a))
      .map((r) => ({ id: r.conversation_id, number: r.number as string, subject: r.subject })),
    stored: rows.some((r) => r.kind === 'stored'),
  }
}

/** Whether a conversation with this id exists in the workspace (a verified token may name a deleted one). */
export async function conversationExists(trx: Tx, workspaceId: string, id: string): Promise<boolean> {
  const r = await trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
  return r !== undefined
}

