import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'

/**
 * SQL of the chat channel. Every function takes the transaction first and
 * the workspace id, and filters on it (row-level security backs the filter up).
 */

export type VisitorRow = Row<'chat_visitors'>

/** An inbox by id alone, for the public endpoints (which know no workspace): a system transaction's read. */
export function findInboxAnyWorkspace(trx: Tx, inboxId: string) {
  return trx.selectFrom('inboxes').selectAll().where('id', '=', inboxId).executeTakeFirst()
}

export function findVisitorByToken(trx: Tx, workspaceId: string, inboxId: string, tokenHash: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('chat_visitors').selectAll().where('workspace_id', '=', workspaceId).where('inbox_id', '=', inboxId).where('token_hash', '=', tokenHash)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function findVisitor(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  let q = trx.selectFrom('chat_visitors').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id)
  if (opts.forUpdate) q = q.forUpdate()
  return q.executeTakeFirst()
}

export function insertVisitor(trx: Tx, workspaceId: string, v: { inbox_id: string; token_hash: string }) {
  return trx
    .insertInto('chat_visitors')
    .values({ workspace_id: workspaceId, ...v })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function updateVisitor(
  trx: Tx,
  workspaceId: string,
  id: string,
  patch: Partial<Pick<VisitorRow, 'contact_id' | 'conversation_id' | 'name' | 'email' | 'topic' | 'verified_external_id' | 'read_up_to'>> & { claims?: string; last_seen_at?: Date },
) {
  return trx.updateTable('chat_visitors').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/** The conversations this visitor wrote in (its client ids are the provider ids of its messages). */
export async function conversationsOfVisitor(trx: Tx, workspaceId: string, inboxId: string, visitorId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('messages')
    .select('conversation_id')
    .distinct()
    .where('workspace_id', '=', workspaceId)
    .where('inbox_id', '=', inboxId)
    .where('provider_message_id', 'like', `${visitorId}:%`)
    .execute()
  return rows.map((r) => r.conversation_id)
}

/** Ids of the conversations of a contact (a verified visitor sees them all). */
export async function conversationsOfContact(trx: Tx, workspaceId: string, contactId: string): Promise<string[]> {
  const rows = await trx.selectFrom('conversations').select('id').where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).execute()
  return rows.map((r) => r.id)
}

/** Of these conversations, those of `contactId` or of contacts without an external (site account) identity. */
export async function conversationsNotOfOtherAccounts(trx: Tx, workspaceId: string, conversationIds: string[], contactId: string): Promise<string[]> {
  if (conversationIds.length === 0) return []
  const rows = await trx
    .selectFrom('conversations as c')
    .select('c.id')
    .where('c.workspace_id', '=', workspaceId)
    .where('c.id', 'in', conversationIds)
    .where((eb) =>
      eb.or([
        eb('c.contact_id', '=', contactId),
        eb.not(
          eb.exists(
            eb.selectFrom('contact_identities as i').select('i.id').where('i.workspace_id', '=', workspaceId).whereRef('i.contact_id', '=', 'c.contact_id').where('i.kind', '=', 'external'),
          ),
        ),
      ]),
    )
    .execute()
  return rows.map((r) => r.id)
}

export interface HistoryRow {
  id: string
  conversation_id: string
  direction: string
  channel: string
  author_type: string
  text: string
  author_name: string | null
  provider_message_id: string | null
  created_at: Date
}

/** The newest `limit` customer-visible messages (no notes) of these conversations, oldest first. */
export async function historyOf(trx: Tx, workspaceId: string, conversationIds: string[], limit: number): Promise<HistoryRow[]> {
  if (conversationIds.length === 0) return []
  const rows = await trx
    .selectFrom('messages as m')
    .leftJoin('users as u', (j) => j.onRef('u.id', '=', 'm.author_id').on('m.author_type', '=', 'user'))
    .select(['m.id', 'm.conversation_id', 'm.direction', 'm.channel', 'm.author_type', 'm.text', 'u.name as author_name', 'm.provider_message_id', 'm.created_at'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.conversation_id', 'in', conversationIds)
    .where('m.direction', 'in', ['inbound', 'outbound'])
    .orderBy('m.created_at', 'desc')
    .orderBy('m.id', 'desc')
    .limit(limit)
    .execute()
  return rows.reverse()
}

/** File names of messages, for the widget's history. */
export async function attachmentNames(trx: Tx, workspaceId: string, messageIds: string[]): Promise<Map<string, Array<{ filename: string; contentType: string }>>> {
  const out = new Map<string, Array<{ filename: string; contentType: string }>>()
  if (messageIds.length === 0) return out
  const rows = await trx
    .selectFrom('attachments')
    .select(['message_id', 'filename', 'content_type'])
    .where('workspace_id', '=', workspaceId)
    .where('message_id', 'in', messageIds)
    .execute()
  for (const r of rows) {
    const list = out.get(r.message_id) ?? []
    list.push({ filename: r.filename, contentType: r.content_type })
    out.set(r.message_id, list)
  }
  return out
}

/** The author's name of one message (for a live push). */
export async function authorOf(trx: Tx, workspaceId: string, messageId: string): Promise<string | null> {
  const row = await trx
    .selectFrom('messages as m')
    .leftJoin('users as u', (j) => j.onRef('u.id', '=', 'm.author_id').on('m.author_type', '=', 'user'))
    .select('u.name')
    .where('m.workspace_id', '=', workspaceId)
    .where('m.id', '=', messageId)
    .executeTakeFirst()
  return row?.name ?? null
}

/** The widget identities (visitor ids) of a conversation's contact: where typing and read marks go. */
export async function visitorIdsOfConversation(trx: Tx, workspaceId: string, conversationId: string): Promise<string[] | null> {
  const conv = await trx.selectFrom('conversations').select(['contact_id', 'channel']).where('workspace_id', '=', workspaceId).where('id', '=', conversationId).executeTakeFirst()
  if (!conv) return null
  const rows = await trx
    .selectFrom('contact_identities')
    .select('value')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', conv.contact_id)
    .where('kind', '=', 'widget')
    .execute()
  return rows.map((r) => r.value)
}

/** Who owns an identity (kind, normalised value), if anyone. */
export function identityOwner(trx: Tx, workspaceId: string, kind: string, value: string) {
  return trx
    .selectFrom('contact_identities')
    .select(['id', 'contact_id', 'verified'])
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirst()
}

/**
 * Hands a visitor's widget identity to the contact a verified identify()
 * named (the evidence is signed by the site), and marks the external id
 * verified. The anonymous contact keeps its earlier conversations.
 */
export async function moveWidgetIdentity(trx: Tx, workspaceId: string, visitorId: string, toContactId: string): Promise<void> {
  await trx
    .updateTable('contact_identities')
    .set({ contact_id: toContactId })
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', 'widget')
    .where('value', '=', visitorId)
    .execute()
}

export async function markIdentityVerified(trx: Tx, workspaceId: string, kind: string, value: string): Promise<void> {
  await trx.updateTable('contact_identities').set({ verified: true }).where('workspace_id', '=', workspaceId).where('kind', '=', kind).where('value', '=', value).execute()
}

/** The first active email inbox of the workspace (for continuing a chat by email). */
export function firstEmailInbox(trx: Tx, workspaceId: string) {
  return trx
    .selectFrom('inboxes')
    .select(['id'])
    .where('workspace_id', '=', workspaceId)
    .where('channel', '=', 'email')
    .where('active', '=', true)
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst()
}

/** A message with its inbox's channel and config, for the email-continuation listener. */
export function outboundWithInbox(trx: Tx, workspaceId: string, messageId: string) {
  return trx
    .selectFrom('messages as m')
    .innerJoin('inboxes as i', (j) => j.onRef('i.id', '=', 'm.inbox_id').onRef('i.workspace_id', '=', 'm.workspace_id'))
    .select(['m.id', 'm.conversation_id', 'm.text', 'm.direction', 'm.delivery_status', 'm.delivery_error', 'm.metadata', 'i.id as inbox_id', 'i.channel', 'i.config'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.id', '=', messageId)
    .executeTakeFirst()
}

export const touch = (trx: Tx, workspaceId: string, id: string) =>
  trx.updateTable('chat_visitors').set({ last_seen_at: sql<Date>`now()` }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute()

export const messageText = (trx: Tx, workspaceId: string, id: string) =>
  trx.selectFrom('messages').select(['text']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()
