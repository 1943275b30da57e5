import { sql } from 'kysely'
import { systemActor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { ProviderStatus } from './inbound.types.ts'

/**
 * Provider-reported delivery statuses on outbound messages. A status only
 * moves a message forward (sent < delivered < read); `failed` applies to a
 * message not yet delivered. Each change writes `message.delivery-updated`
 * (what listeners and the realtime stream follow) and
 * `message.status-reported` (the timeline's entry, with the provider's reason).
 */
const rank: Record<string, number> = { queued: 0, deferred: 0, sent: 1, delivered: 2, read: 3 }

function moves(current: string | null, next: ProviderStatus): boolean {
  if (next === 'failed') return current === 'queued' || current === 'deferred' || current === 'sent'
  return (rank[current ?? ''] ?? 99) < (rank[next] ?? 0)
}

interface Target {
  id: string
  conversation_id: string
  contact_id: string
  delivery_status: string | null
  provider_message_id: string | null
}

async function apply(trx: Tx, ws: string, channel: string, rows: Target[], status: ProviderStatus, error: string | null, at: string): Promise<number> {
  const actor = systemActor(ws, `${channel} provider`)
  let changed = 0
  for (const r of rows) {
    if (!moves(r.delivery_status, status)) continue
    await trx
      .updateTable('messages')
      .set({ delivery_status: status, ...(status === 'failed' ? { delivery_error: (error ?? 'the provider reported a failure').slice(0, 2000) } : {}) })
      .where('workspace_id', '=', ws)
      .where('id', '=', r.id)
      .execute()
    const payload = { messageId: r.id, status, error: status === 'failed' ? error : null, providerMessageId: r.provider_message_id, reportedAt: at, source: 'provider' }
    await appendEvent(trx, actor, { type: 'message.delivery-updated', conversationId: r.conversation_id, contactId: r.contact_id, payload })
    await appendEvent(trx, actor, { type: 'message.status-reported', conversationId: r.conversation_id, contactId: r.contact_id, payload: { ...payload, channel, from: r.delivery_status } })
    changed++
  }
  return changed
}

const targetColumns = ['m.id', 'm.conversation_id', 'c.contact_id', 'm.delivery_status', 'm.provider_message_id'] as const

/**
 * The status of one outbound message by the provider's id. Returns 'unknown'
 * when no outbound message of the inbox has that id (yet: the provider's
 * receipt can overtake our own record of the send), else how many changed.
 */
export async function applyStatusByProviderId(trx: Tx, ws: string, inboxId: string, channel: string, providerMessageId: string, status: ProviderStatus, error: string | null, at: string): Promise<number | 'unknown'> {
  const rows = await trx
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(targetColumns)
    .where('m.workspace_id', '=', ws)
    .where('m.inbox_id', '=', inboxId)
    .where('m.provider_message_id', '=', providerMessageId)
    .where('m.direction', '=', 'outbound')
    .forUpdate()
    .execute()
  if (rows.length === 0) return 'unknown'
  return apply(trx, ws, channel, rows, status, error, at)
}

/**
 * A Messenger / Instagram watermark: every outbound message of the inbox to
 * this customer (by their page-scoped id), sent at or before the watermark,
 * is delivered / read. The named message ids are included whatever their time.
 */
export async function applyWatermark(trx: Tx, ws: string, inboxId: string, channel: 'messenger' | 'instagram', recipient: string, status: 'delivered' | 'read', watermark: string, providerMessageIds: string[]): Promise<number> {
  const rows = await trx
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('contact_identities as ci', (j) => j.onRef('ci.contact_id', '=', 'c.contact_id').on('ci.workspace_id', '=', ws).on('ci.kind', '=', channel).on('ci.value', '=', recipient))
    .select(targetColumns)
    .where('m.workspace_id', '=', ws)
    .where('m.inbox_id', '=', inboxId)
    .where('m.direction', '=', 'outbound')
    .where('m.delivery_status', 'in', status === 'read' ? ['sent', 'delivered'] : ['sent'])
    .where((eb) => eb.or([eb('m.created_at', '<=', new Date(watermark)), ...(providerMessageIds.length > 0 ? [eb('m.provider_message_id', 'in', providerMessageIds)] : [])]))
    .orderBy('m.created_at')
    .limit(500)
    .forUpdate(['m'] as never)
    .execute()
  return apply(trx, ws, channel, rows, status, null, watermark)
}

/**
 * The conversation a customer's new message joins: the latest one of the
 * contact behind this channel identity in this inbox (closed or long solved
 * ones are handled by intake: it opens a linked follow-up). Null: a new case.
 */
export async function latestConversationOf(trx: Tx, ws: string, inboxId: string, kind: string, value: string): Promise<string | null> {
  const row = await trx
    .selectFrom('conversations as c')
    .innerJoin('contact_identities as ci', (j) => j.onRef('ci.contact_id', '=', 'c.contact_id').on('ci.workspace_id', '=', ws))
    .select('c.id')
    .where('c.workspace_id', '=', ws)
    .where('c.inbox_id', '=', inboxId)
    .where('ci.kind', '=', kind)
    .where('ci.value', '=', value)
    .orderBy(sql`c.last_message_at desc nulls last`)
    .limit(1)
    .executeTakeFirst()
  return row?.id ?? null
}
