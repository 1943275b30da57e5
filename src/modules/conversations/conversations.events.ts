import type { Actor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { ConversationStatus, Priority } from './conversations.types.ts'
import type { DeliveryStatus, Direction } from './messages.types.ts'

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
  'conversation.channel-switched': { from: string; to: string; inboxId: string; by: 'contact' | 'user' }
  /** Other fields changed; `fields` names them (camelCase, as in the API). */
  'conversation.updated': { fields: string[]; tagsAdded?: string[]; tagsRemoved?: string[] }
  /** An inbound message from the customer. */
  'message.received': { messageId: string; inboxId: string; channel: string; providerMessageId: string | null }
  /** An agent's reply (outbound) or internal note. */
  'message.created': { messageId: string; direction: Direction; channel: string; attachments: number }
  /** What the channel said when an outbound message was handed to it. */
  'message.delivery-updated': { messageId: string; status: DeliveryStatus; error: string | null; providerMessageId: string | null }
}

export type ConversationEventType = keyof ConversationEventPayloads

export function emit<T extends ConversationEventType>(
  trx: Tx,
  actor: Actor,
  conversation: { id: string; contact_id: string },
  type: T,
  payload: ConversationEventPayloads[T],
): Promise<string> {
  return appendEvent(trx, actor, { type, conversationId: conversation.id, contactId: conversation.contact_id, payload: { ...payload } })
}
