import type { Actor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { ConversationStatus, Priority } from './conversations.types.ts'
import type { DeliveryStatus, Direction } from './messages.types.ts'

/** What ingesting an inbound message did with it. */
export type IngestOutcome = 'created' | 'appended' | 'reopened' | 'follow-up'

/**
 * The events this module writes to the outbox, with their payloads. Every one
 * carries `conversationId` and `contactId` on the event row itself, so the
 * timeline and listeners can find them without reading the payload.
 * Listeners must tolerate fields they do not know.
 */
export interface ConversationEventPayloads {
  /** A new conversation; `followUpOf` when a customer wrote into a closed one. */
  'conversation.created': { number: number; inboxId: string; channel: string; status: ConversationStatus; priority: Priority; followUpOf?: string }
  /** `reason` says why when the system changed it (e.g. `customer-replied`). */
  'conversation.status-changed': { from: ConversationStatus; to: ConversationStatus; reason?: string }
  /** A solved conversation became open again (by the customer writing, or an agent). */
  'conversation.reopened': { reopenCount: number; by: 'contact' | 'user' }
  'conversation.assigned': { assigneeId: string | null; teamId: string | null; previousAssigneeId: string | null; previousTeamId: string | null }
  /** The conversation's current channel changed: the customer wrote, or an agent replied, on another one. */
  'conversation.channel-switched': { from: string; to: string; inboxId: string; by: 'contact' | 'user' | 'fallback' }
  /** Other fields changed; `fields` names them (camelCase, as in the API). */
  'conversation.updated': { fields: string[]; tagsAdded?: string[]; tagsRemoved?: string[] }
  /** An inbound message from the customer. */
  'message.received': { messageId: string; inboxId: string; channel: string; providerMessageId: string | null }
  /**
   * How a channel chose the conversation of an inbound message (`rule` null:
   * nothing matched) and what came of it; `reason` is for humans.
   */
  'message.threaded': { messageId: string; rule: string | null; reason: string; outcome: IngestOutcome; followUpOf?: string }
  /**
   * Written on both conversations: `followUpId` was opened as the follow-up of
   * `followUpOf` because the customer wrote into it after it was closed or
   * solved past the reopen window.
   */
  'conversation.follow-up-linked': { followUpOf: string; followUpOfNumber: number; followUpId: string; followUpNumber: number; reason: 'closed' | 'reopen-window-passed' }
  /**
   * Written on both conversations: an agent moved a message from one to the
   * other (`split`: into a conversation opened for it). `contactChanged` when
   * the two conversations are with different contacts.
   */
  'message.moved': { messageId: string; fromConversationId: string; toConversationId: string; split: boolean; contactChanged: boolean; attachments: number }
  /** An agent's reply (outbound) or internal note. */
  'message.created': {
    messageId: string
    direction: Direction
    channel: string
    attachments: number
    /** A past reply recorded as already sent (the actor's `occurredAt`, e.g. the demo): there is nothing to deliver. */
    recordedAsSent?: true
  }
  /**
   * A reply fell back to another channel (docs/channels/README.md, "Fallback"):
   * its own inbox was down (`CHANNEL_DOWN`) or its channel refused it
   * (`WHATSAPP_WINDOW_CLOSED`); `reason` says why for people, `skipped` which
   * channels of the fallback order were passed over and why.
   */
  'message.rerouted': {
    messageId: string
    from: { channel: string; inboxId: string }
    to: { channel: string; inboxId: string }
    code: string
    reason: string
    skipped: Array<{ channel: string; reason: string }>
  }
  /** What the channel said when an outbound message was handed to it. */
  'message.delivery-updated': { messageId: string; status: DeliveryStatus; error: string | null; providerMessageId: string | null; details?: Record<string, unknown> }
  /** A status the provider reported after the send (delivered, undelivered with its error code…): shown in the timeline. */
  'message.status-reported': { messageId: string; status: DeliveryStatus; providerStatus: string; error: string | null; errorCode?: string }
}

export type ConversationEventType = keyof ConversationEventPayloads

export function emit<T extends ConversationEventType>(
  trx: Tx,
  actor: Actor,
  conversation: { id: string; contact_id: string },
  type: T,
  payload: ConversationEventPayloads[T],
): Promise<void> {
  return appendEvent(trx, actor, { type, conversationId: conversation.id, contactId: conversation.contact_id, payload: { ...payload } })
}
