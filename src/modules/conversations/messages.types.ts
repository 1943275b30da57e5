import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'
import type { ConversationStatus } from './conversations.types.ts'

export const directions = ['inbound', 'outbound', 'note'] as const
export type Direction = (typeof directions)[number]
export const authorTypes = ['contact', 'user', 'bot', 'system'] as const
export type AuthorType = (typeof authorTypes)[number]
export const deliveryStatuses = ['queued', 'sent', 'delivered', 'read', 'deferred', 'failed', 'not_delivered'] as const
export type DeliveryStatus = (typeof deliveryStatuses)[number]

/** Limits on attachments sent with an agent reply. */
export const attachmentLimits = { maxFiles: 10, maxBytes: 10 * 1024 * 1024 } as const

/**
 * A file of a message; its bytes are at
 * `GET /conversations/{id}/messages/{messageId}/attachments/{attachmentId}`.
 */
export const attachmentSchema = z
  .object({
    id: z.uuid(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    contentId: z
      .string()
      .nullable()
      .describe('The part’s Content-ID without angle brackets (inbound email): the message HTML refers to this file as `cid:<contentId>`'),
    inline: z.boolean().describe('Shown within the message body by the sender’s client (an inline image) rather than as a separate file'),
  })
  .meta({ id: 'Attachment' })
export type Attachment = z.infer<typeof attachmentSchema>

/** One message of a conversation: inbound from the customer, outbound to them, or an internal note. */
export const messageSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    direction: z.enum(directions),
    channel: z.string(),
    author: z.object({ type: z.enum(authorTypes), id: z.string().nullable() }),
    text: z.string(),
    /** Sanitised HTML (see html-sanitizer.ts), or null for plain-text messages. */
    html: z.string().nullable(),
    attachments: z.array(attachmentSchema),
    /** Outbound only: queued → sent/deferred/failed, later delivered/not_delivered. */
    deliveryStatus: z.enum(deliveryStatuses).nullable(),
    deliveryError: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .meta({ id: 'Message' })
export type Message = z.infer<typeof messageSchema>

export const toAttachment = (r: Row<'attachments'>): Attachment => ({
  id: r.id,
  filename: r.filename,
  contentType: r.content_type,
  size: Number(r.size),
  contentId: r.content_id,
  inline: r.inline,
})

export const toMessage = (r: Row<'messages'>, attachments: Attachment[]): Message => ({
  id: r.id,
  conversationId: r.conversation_id,
  direction: r.direction as Direction,
  channel: r.channel,
  author: { type: r.author_type as AuthorType, id: r.author_id },
  text: r.text,
  html: r.html,
  attachments,
  deliveryStatus: r.delivery_status as DeliveryStatus | null,
  deliveryError: r.delivery_error,
  providerMessageId: r.provider_message_id,
  metadata: r.metadata,
  createdAt: r.created_at.toISOString(),
})

/** Event types the timeline shows beside messages (conversation-scoped events only). */
export const timelineEventTypes = [
  'conversation.status-changed',
  'conversation.assigned',
  'conversation.channel-switched',
  'conversation.reopened',
  'conversation.merged',
  'conversation.follow-up-linked',
  'message.threaded',
  'message.moved',
  /** A reply fell back to another channel (its own was down, or refused it), and why. */
  'message.rerouted',
  /** The email channel: a reply to the customer bounced (reason, hard/soft, what it did to the address). */
  'email.bounced',
  /** A messaging provider's receipt for an outbound message (delivered, read, failed with its reason). */
  'message.status-reported',
  /** A provider's later report on an outbound message (Twilio's status callback: delivered, undelivered with its error code). */
  'message.status-reported',
  /** The contact's consent on a channel changed (an SMS STOP/START keyword), shown where it happened. */
  'contact.consent-changed',
  /** Callback requests (the voice channel's tasks): made, reminded when due, done or canceled. */
  'callback.requested',
  'callback.due',
  'callback.updated',
  /** Service levels (src/modules/sla): a warning before breach, a breach, an escalation level reached, an escalation action that could not run. */
  'sla.warning',
  'sla.breached',
  'sla.escalated',
  'sla.escalation-skipped',
] as const

export const timelineItemSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('message'), at: z.string(), message: messageSchema }),
    z.object({
      kind: z.literal('event'),
      at: z.string(),
      event: z.object({
        id: z.string(),
        type: z.string(),
        actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string() }),
        payload: z.record(z.string(), z.unknown()),
      }),
    }),
  ])
  .meta({ id: 'TimelineItem' })
export type TimelineItem = z.infer<typeof timelineItemSchema>

export const toTimelineEvent = (r: Row<'events'>): TimelineItem => ({
  kind: 'event',
  at: r.created_at.toISOString(),
  event: {
    id: r.id,
    type: r.type,
    actor: r.actor as { type: string; id: string | null; label: string },
    payload: r.payload,
  },
})

export interface NewAttachment {
  filename: string
  contentType: string
  dataBase64: string
}

export interface ReplyInput {
  text?: string | undefined
  html?: string | undefined
  /** An internal note, never sent to the customer. */
  private?: boolean | undefined
  /** Reply on another channel than the conversation's current one (a channel switch). */
  channel?: string | undefined
  /** Send through this inbox (its channel becomes the message's channel). */
  inboxId?: string | undefined
  /** Change the status in the same step ("reply and set pending"). */
  status?: ConversationStatus | undefined
  attachments?: NewAttachment[] | undefined
}
