import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError } from '../../platform/errors.ts'
import type { InboxRef, ReplyRefusal } from './conversations.ports.ts'
import type { ConversationsDeps } from './conversations.shared.ts'
import * as delivery from './delivery.repository.ts'
import * as messages from './messages.repository.ts'

/**
 * The inbox a reply on `channel` leaves through: the one this conversation last
 * used on that channel, else the one the contact last wrote to on it (in any of
 * their conversations), else the workspace's first active inbox of that
 * channel; inactive ones are skipped. Null when the workspace has none.
 */
export async function replyInboxInTx(
  deps: ConversationsDeps,
  trx: Tx,
  ws: string,
  conv: Row<'conversations'>,
  channel: string,
  /** The workspace's active inboxes, when the caller has them already. */
  active?: InboxRef[],
): Promise<InboxRef | null> {
  const usable = (active ?? (await deps.inboxes.listActiveInTx(trx, ws))).filter((i) => i.channel === channel)
  if (usable.length === 0) return null
  const preferred = [
    await messages.lastInboxOnChannel(trx, ws, conv.id, channel),
    await messages.lastInboundInboxOfContact(trx, ws, conv.contact_id, channel),
    conv.inbox_id,
  ]
  for (const id of preferred) {
    const inbox = id ? usable.find((i) => i.id === id) : undefined
    if (inbox) return inbox
  }
  return usable[0] ?? null
}

/** Why a reply cannot leave through an inbox now: the inbox is down (its breaker is open), or its channel refuses it. */
export type Blocker = { kind: 'down'; code: 'CHANNEL_DOWN'; message: string } | { kind: 'refused'; code: string; message: string; refusal: ReplyRefusal }

/** A reply that left on another channel than asked, and why (message metadata and the `message.rerouted` event). */
export interface Fallback {
  from: { channel: string; inboxId: string }
  to: { channel: string; inboxId: string }
  code: string
  reason: string
  /** Channels of the fallback order passed over before `to`, each with why. */
  skipped: Array<{ channel: string; reason: string }>
}

/**
 * Where a reply goes when its channel cannot take it (docs/channels/README.md,
 * "Fallback"). Only a reply on the conversation's own channel falls back (an
 * agent who picked a channel or inbox gets what they picked, or a clear
 * refusal), only when that inbox is down (circuit breaker open) or its channel
 * refuses the reply (WhatsApp's closed window), and only to a later channel of
 * the workspace's `fallbackOrder` that has an inbox that is not down, reaches
 * the contact, and that the contact consented to: never withdrawn (SMS STOP),
 * and either granted or a channel the contact has written to us on.
 */
export function createReplyRouting(deps: ConversationsDeps, breakers: { isOpen(inboxId: string): boolean }) {
  /** When the customer last wrote through the inbox in this conversation (their message's own time, as the adapter sees it). */
  async function lastInboundAt(trx: Tx, ws: string, conversationId: string, inboxId: string): Promise<Date | null> {
    const parent = await delivery.lastInboundWithProviderId(trx, ws, conversationId, inboxId)
    if (!parent) return null
    const at = (parent.metadata as { receivedAt?: unknown }).receivedAt
    return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? new Date(at) : parent.created_at
  }

  async function blockerOf(trx: Tx, ws: string, conv: Row<'conversations'>, inbox: InboxRef): Promise<Blocker | null> {
    if (breakers.isOpen(inbox.id))
      return { kind: 'down', code: 'CHANNEL_DOWN', message: `the ${inbox.channel} inbox "${inbox.name}" is down: its last sends failed temporarily and its circuit breaker is open` }
    const refusal = await deps.inboxes.replyRefusalInTx(trx, ws, inbox, { lastInboundAt: await lastInboundAt(trx, ws, conv.id, inbox.id) })
    return refusal ? { kind: 'refused', code: refusal.code, message: refusal.message, refusal } : null
  }

  /** Why the contact cannot be messaged on `channel` by fallback; null when they can. */
  async function notConsented(trx: Tx, ws: string, contactId: string, channel: string): Promise<string | null> {
    const consent = await deps.contacts.findConsentInTx(trx, ws, contactId, channel)
    if (consent?.status === 'withdrawn') return `the contact withdrew consent to ${channel} messages${consent.keyword ? ` (replied ${consent.keyword})` : ''}`
    if (consent?.status === 'granted') return null
    if (await messages.lastInboundInboxOfContact(trx, ws, contactId, channel)) return null
    return `the contact has not consented to ${channel} messages (no consent recorded, and they never wrote to us on ${channel})`
  }

  /** Why a fallback channel cannot take the reply; null with its inbox when it can. */
  async function candidate(trx: Tx, ws: string, conv: Row<'conversations'>, channel: string, identities: Array<{ kind: string; undeliverable: boolean }>) {
    const inbox = await replyInboxInTx(deps, trx, ws, conv, channel)
    if (!inbox) return { reason: `this workspace has no active ${channel} inbox` }
    const reach = deps.inboxes.reachOf(channel)
    if (reach === null) return { reason: `the ${channel} channel cannot send yet` }
    if (reach !== 'anyone' && !identities.some((i) => reach.includes(i.kind) && !i.undeliverable)) return { reason: `the contact has no deliverable ${reach.join(' or ')} identity` }
    const consent = await notConsented(trx, ws, conv.contact_id, channel)
    if (consent) return { reason: consent }
    const blocker = await blockerOf(trx, ws, conv, inbox)
    if (blocker) return { reason: blocker.message }
    return { inbox }
  }

  return {
    blockerOf,

    /**
     * The inbox a reply leaves through, after fallback; throws the channel's
     * refusal (422) when it refuses and nothing else can take the reply. A
     * reply to an inbox that is down with nowhere to fall back stays on it:
     * the delivery job retries it once the breaker lets sends through.
     */
    async route(trx: Tx, ws: string, conv: Row<'conversations'>, inbox: InboxRef, opts: { explicit: boolean }): Promise<{ inbox: InboxRef; fallback: Fallback | null }> {
      const blocker = await blockerOf(trx, ws, conv, inbox)
      if (!blocker) return { inbox, fallback: null }
      const order = opts.explicit ? [] : await deps.workspaces.fallbackOrderInTx(trx, ws)
      const skipped: Fallback['skipped'] = []
      if (order.length > 0) {
        const identities = (await deps.contacts.getContactInTx(trx, ws, conv.contact_id))?.identities ?? []
        for (const channel of order.slice(order.indexOf(inbox.channel) + 1)) {
          if (channel === inbox.channel) continue
          const c = await candidate(trx, ws, conv, channel, identities)
          if (c.inbox)
            return { inbox: c.inbox, fallback: { from: { channel: inbox.channel, inboxId: inbox.id }, to: { channel: c.inbox.channel, inboxId: c.inbox.id }, code: blocker.code, reason: blocker.message, skipped } }
          skipped.push({ channel, reason: c.reason })
        }
      }
      if (blocker.kind === 'down') return { inbox, fallback: null }
      const { refusal } = blocker
      if (order.length === 0) throw new AppError(refusal.code, refusal.message, refusal.details)
      const tried = skipped.length ? skipped.map((s) => `${s.channel}: ${s.reason}`).join('; ') : `no channel follows ${inbox.channel} in the workspace's fallback order (${order.join(', ')})`
      throw new AppError(refusal.code, `${refusal.message} No fallback channel can take the reply (${tried}).`, { ...refusal.details, fallback: { order, skipped } })
    },
  }
}
export type ReplyRouting = ReturnType<typeof createReplyRouting>
