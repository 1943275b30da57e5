import type { ChannelAdapter, ChannelContext, ChannelInbox, OutboundMessage, SendResult } from '../channel.ts'
import { pushAndWait } from './chat.bus.ts'

/** How long a reply waits for a node to say it reached the visitor's socket. */
export const PUSH_TIMEOUT_MS = 2000

/** The code of a reply that found no open widget: the chat module continues it by email when it can. */
export const VISITOR_OFFLINE = 'VISITOR_OFFLINE'

/**
 * The chat channel's outbound adapter: an agent's reply goes to the sockets
 * of the contact's widget visitors, on whichever node holds them (through the
 * bus). Sent when a node wrote it to at least one socket; when none is open
 * the reply is `not_delivered` with VISITOR_OFFLINE, and the chat module's
 * listener sends it on by email if the visitor gave an address.
 */
export function createChatAdapter(inbox: Pick<ChannelInbox, 'id' | 'workspaceId'>, ctx: Pick<ChannelContext, 'bus'>): ChannelAdapter {
  return Object.freeze({
    channel: 'chat',
    async send(msg: OutboundMessage): Promise<SendResult> {
      const visitorIds = msg.to.identities.filter((i) => i.kind === 'widget').map((i) => i.value)
      if (visitorIds.length === 0) return { ok: false, retryable: false, code: 'NO_RECIPIENT', message: 'the contact has no chat visitor' }
      const frame = {
        type: 'message',
        message: {
          id: msg.messageId,
          direction: 'outbound',
          text: msg.text,
          attachments: (msg.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType })),
          createdAt: new Date().toISOString(),
        },
      }
      const reached = await pushAndWait(ctx.bus, inbox.workspaceId, visitorIds, frame, PUSH_TIMEOUT_MS)
      if (reached) return { ok: true, externalId: `chat:${msg.messageId}` }
      return { ok: false, retryable: false, code: VISITOR_OFFLINE, message: `${VISITOR_OFFLINE}: the visitor has no open chat`, notDelivered: true }
    },
  })
}
