import { z } from 'zod'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import type { Platform } from '../../platform/platform.ts'
import { type ConversationsDeps, loadConversation } from './conversations.shared.ts'
import { type ReplyRouting, replyInboxInTx } from './reply-route.ts'

/** One channel an agent might reply on, and whether they can (docs/channels/README.md, "Replying on any channel"). */
export const replyChannelSchema = z
  .object({
    channel: z.string(),
    available: z.boolean(),
    /** The conversation's current channel (where a reply goes without `channel`). */
    current: z.boolean(),
    /** The inbox a reply on this channel leaves through. */
    inbox: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    /** The contact's identity the reply goes to (null for a channel that needs none, or when there is none). */
    identity: z.object({ kind: z.string(), value: z.string() }).nullable(),
    /** Why the channel is unavailable; null when it is available. */
    reason: z.string().nullable(),
    /**
     * Why a free-text reply on this channel would not go out as asked now: its
     * inbox is down, or the channel refuses free text (WhatsApp's closed
     * window: a template still goes). On the conversation's own channel such a
     * reply falls back by the workspace's fallback order, when there is one.
     */
    blocked: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'ReplyChannel' })
export type ReplyChannel = z.infer<typeof replyChannelSchema>

export function createReplyChannels(p: Platform, deps: ConversationsDeps, routing: ReplyRouting) {
  return {
    /**
     * Every channel, with the inbox and the contact identity a reply on it
     * would use, or why it cannot be used: no active inbox of that channel, the
     * channel cannot send yet, the contact has no identity it reaches, or all
     * of them bounced. The same inbox choice as POST …/messages with `channel`.
     */
    async replyChannels(actor: Actor, id: string): Promise<ReplyChannel[]> {
      authorize(actor, 'conversations:read')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        const conv = await loadConversation(trx, ws, id)
        const contact = await deps.contacts.getContactInTx(trx, ws, conv.contact_id)
        const identities = contact?.identities ?? []
        const active = await deps.inboxes.listActiveInTx(trx, ws)
        const out: ReplyChannel[] = []
        for (const channel of deps.inboxes.channelNames) {
          const reach = deps.inboxes.reachOf(channel)
          const inbox = await replyInboxInTx(deps, trx, ws, conv, channel, active)
          let identity: ReplyChannel['identity'] = null
          let reason: string | null = null
          if (!inbox) reason = `this workspace has no active ${channel} inbox`
          else if (reach === null) reason = `the ${channel} channel cannot send yet (its adapter is not installed)`
          else if (reach !== 'anyone') {
            const kinds = identities.filter((i) => reach.includes(i.kind))
            const usable = kinds.find((i) => !i.undeliverable)
            if (usable) identity = { kind: usable.kind, value: usable.value }
            else reason = kinds.length > 0 ? `every ${reach.join('/')} of the contact is undeliverable (bounced or paused)` : `the contact has no ${reach.join(' or ')} identity`
          }
          const blocker = inbox && reason === null ? await routing.blockerOf(trx, ws, conv, inbox) : null
          out.push({ channel, available: reason === null, current: channel === conv.channel, inbox: inbox ? { id: inbox.id, name: inbox.name } : null, identity, reason, blocked: blocker && { code: blocker.code, message: blocker.message } })
        }
        return out
      })
    },
  }
}
