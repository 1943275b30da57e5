import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'
import { type Classification, classifications } from './classify.ts'

export const inboundStatuses = ['received', 'processed', 'quarantined', 'ignored'] as const
export type InboundStatus = (typeof inboundStatuses)[number]

/**
 * The threading rules, in the order they are tried (threading.ts); then
 * `continuity`: no rule matched and the workspace's continuity rule continued
 * the contact's open case from another channel (docs/channels/README.md).
 */
export const threadingRules = ['in-reply-to', 'references', 'token', 'reply-arrived-first', 'subject', 'continuity'] as const
export type ThreadingRule = (typeof threadingRules)[number]

/** What ingesting did once the conversation was chosen (conversations' IngestOutcome, or a repeat). */
export const threadingOutcomes = ['created', 'appended', 'reopened', 'follow-up', 'duplicate'] as const

/** How an inbound mail was attached to a conversation, and why. */
export interface ThreadingDecision {
  /** The rule that chose `conversationId`; null: none did, a new conversation. */
  matched: ThreadingRule | null
  /** The Message-ID that matched (rules in-reply-to, references; reply-arrived-first: the reply's). */
  header?: string
  /** Where the conversation token was found: a recipient address, or `footer` (rule token). */
  token?: string
  conversationId?: string
  reason: string
  /** Set once processed: what happened, and the conversation a follow-up was opened for. */
  outcome?: (typeof threadingOutcomes)[number]
  followUpOf?: string
}

export const inboundEmailSummarySchema = z
  .object({
    id: z.uuid(),
    inboxId: z.uuid(),
    messageIdHeader: z.string().nullable(),
    from: z.string().nullable(),
    subject: z.string().nullable(),
    status: z.enum(inboundStatuses),
    classification: z.enum(classifications).nullable(),
    reason: z.string().nullable(),
    conversationId: z.uuid().nullable(),
    receivedAt: z.string(),
  })
  .meta({ id: 'InboundEmailSummary' })
export type InboundEmailSummary = z.infer<typeof inboundEmailSummarySchema>

export const inboundEmailSchema = inboundEmailSummarySchema
  .extend({
    envelopeFrom: z.string().nullable(),
    envelopeTo: z.array(z.string()),
    size: z.number().int(),
    rawSha256: z.string(),
    dedupeKey: z.string(),
    classificationDetails: z.record(z.string(), z.unknown()).nullable(),
    threading: z
      .object({
        matched: z.enum(threadingRules).nullable(),
        header: z.string().optional(),
        token: z.string().optional(),
        conversationId: z.string().optional(),
        reason: z.string(),
        outcome: z.enum(threadingOutcomes).optional(),
        followUpOf: z.string().optional(),
      })
      .nullable(),
    messageId: z.uuid().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    releasedAt: z.string().nullable(),
    processedAt: z.string().nullable(),
  })
  .meta({ id: 'InboundEmail' })
export type InboundEmail = z.infer<typeof inboundEmailSchema>

export const toInboundEmailSummary = (r: Row<'inbound_emails'>): InboundEmailSummary => ({
  id: r.id,
  inboxId: r.inbox_id,
  messageIdHeader: r.message_id_header,
  from: r.from_address,
  subject: r.subject,
  status: r.status as InboundStatus,
  classification: r.classification as Classification | null,
  reason: r.reason,
  conversationId: r.conversation_id,
  receivedAt: r.received_at.toISOString(),
})

export const toInboundEmail = (r: Row<'inbound_emails'>): InboundEmail => ({
  ...toInboundEmailSummary(r),
  envelopeFrom: r.envelope_from,
  envelopeTo: r.envelope_to,
  size: Number(r.size),
  rawSha256: r.raw_sha256,
  dedupeKey: r.dedupe_key,
  classificationDetails: r.classification_details,
  threading: r.threading as ThreadingDecision | null,
  messageId: r.message_id,
  attempts: r.attempts,
  lastError: r.last_error,
  releasedAt: r.released_at?.toISOString() ?? null,
  processedAt: r.processed_at?.toISOString() ?? null,
})
