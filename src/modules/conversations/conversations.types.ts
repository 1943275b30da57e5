import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'
import { AppError } from '../../platform/errors.ts'
import { type ConversationSlaSummary, conversationSlaSchema } from './sla-hook.ts'

// ---------------------------------------------------------------------------
// The status state machine (pure: no I/O)
// ---------------------------------------------------------------------------

export const conversationStatuses = ['open', 'pending', 'on_hold', 'solved', 'closed'] as const
export type ConversationStatus = (typeof conversationStatuses)[number]

/** Channel kinds (the inboxes table's CHECK); a conversation's channel is one of them. */
export const channels = ['email', 'chat', 'sms', 'whatsapp', 'messenger', 'instagram', 'telegram', 'voice', 'api'] as const
export type Channel = (typeof channels)[number]

export const priorities = ['low', 'normal', 'high', 'urgent'] as const
export type Priority = (typeof priorities)[number]

/**
 * Where each status may go. `solved → open` is a reopen; `closed` is terminal:
 * a customer writing into a closed case starts a follow-up conversation.
 */
const transitions: { readonly [S in ConversationStatus]: readonly ConversationStatus[] } = {
  open: ['pending', 'on_hold', 'solved'],
  pending: ['open', 'on_hold', 'solved'],
  on_hold: ['open', 'pending', 'solved'],
  solved: ['open', 'closed'],
  closed: [],
}

export function allowedTransitions(from: ConversationStatus): readonly ConversationStatus[] {
  return transitions[from]
}

/** Whether `from → to` is a transition. Staying in the same status is not one. */
export function canTransition(from: ConversationStatus, to: ConversationStatus): boolean {
  return transitions[from].includes(to)
}

export function assertTransition(from: ConversationStatus, to: ConversationStatus): void {
  if (!canTransition(from, to)) {
    const allowed = allowedTransitions(from)
    throw new AppError(
      'INVALID_TRANSITION',
      allowed.length === 0
        ? `A ${from} conversation cannot change status`
        : `A ${from} conversation cannot become ${to}; it may become ${allowed.join(', ')}`,
      { from, to, allowed },
    )
  }
}

/** `solved → open` counts as a reopen (reopened_at, reopen_count, conversation.reopened). */
export const isReopen = (from: ConversationStatus, to: ConversationStatus) => from === 'solved' && to === 'open'

// ---------------------------------------------------------------------------
// API shape
// ---------------------------------------------------------------------------

const ts = z.string().nullable()

/** A conversation (a case): one customer, one history, whatever the channel. */
export const conversationSchema = z
  .object({
    id: z.uuid(),
    /** Per-workspace sequence number, for humans ("#42"). */
    number: z.number().int(),
    subject: z.string().nullable(),
    status: z.enum(conversationStatuses),
    priority: z.enum(priorities),
    contactId: z.uuid(),
    /** The inbox of origin (replies go through the inbox last used on the current channel). */
    inboxId: z.uuid(),
    /** The current channel; changes when the customer or an agent switches channel. */
    channel: z.string(),
    teamId: z.uuid().nullable(),
    assigneeId: z.uuid().nullable(),
    categoryId: z.uuid().nullable(),
    tags: z.array(z.string()),
    customFields: z.record(z.string(), z.unknown()),
    firstInboundAt: ts,
    firstResponseAt: ts,
    lastCustomerMessageAt: ts,
    lastMessageAt: ts,
    solvedAt: ts,
    closedAt: ts,
    reopenedAt: ts,
    reopenCount: z.number().int(),
    /** The earlier conversation this one follows up (the customer wrote into it after it was closed, or solved past the reopen window). */
    followUpOf: z.uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** Service levels (the SLA module): null when no SLA policy applies. */
    sla: conversationSlaSchema.nullable(),
  })
  .meta({ id: 'Conversation' })
export type Conversation = z.infer<typeof conversationSchema>

/**
 * A conversation as lists show it: the conversation plus what its row needs
 * (the contact's name and first identity, the last message that is not an
 * internal note), so a page of rows costs no request per row.
 */
export const conversationListItemSchema = conversationSchema
  .extend({
    contact: z.object({ id: z.uuid(), name: z.string().nullable(), identity: z.string().nullable().describe('the first identity (email, phone…)') }).nullable(),
    lastMessage: z
      .object({ direction: z.enum(['inbound', 'outbound']), text: z.string().describe('its first 160 characters'), at: z.string() })
      .nullable()
      .describe('the latest message to or from the customer (internal notes left out)'),
  })
  .meta({ id: 'ConversationListItem' })
export type ConversationListItem = z.infer<typeof conversationListItemSchema>
export type RowExtras = Pick<ConversationListItem, 'contact' | 'lastMessage'>

const iso = (d: Date | null) => (d ? d.toISOString() : null)

export const toConversation = (r: Row<'conversations'>, tags: string[], sla: ConversationSlaSummary | null = null): Conversation => ({
  id: r.id,
  number: Number(r.number),
  subject: r.subject,
  status: r.status as ConversationStatus,
  priority: r.priority as Priority,
  contactId: r.contact_id,
  inboxId: r.inbox_id,
  channel: r.channel,
  teamId: r.team_id,
  assigneeId: r.assignee_id,
  categoryId: r.category_id,
  tags,
  customFields: r.custom_fields,
  firstInboundAt: iso(r.first_inbound_at),
  firstResponseAt: iso(r.first_response_at),
  lastCustomerMessageAt: iso(r.last_customer_message_at),
  lastMessageAt: iso(r.last_message_at),
  solvedAt: iso(r.solved_at),
  closedAt: iso(r.closed_at),
  reopenedAt: iso(r.reopened_at),
  reopenCount: r.reopen_count,
  followUpOf: r.follow_up_of,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  sla,
})

/** The fields a PATCH may change, and what the service needs to know about them. */
export interface ConversationPatch {
  status?: ConversationStatus | undefined
  priority?: Priority | undefined
  subject?: string | null | undefined
  assigneeId?: string | null | undefined
  teamId?: string | null | undefined
  categoryId?: string | null | undefined
  /** Merged into the existing values; a null value removes the key. */
  customFields?: Record<string, unknown> | undefined
  /** Replaces the whole tag set. */
  tags?: string[] | undefined
}

export interface ContactInput {
  name?: string | undefined
  email?: string | undefined
  phone?: string | undefined
}

/** List orders of GET /conversations (and saved views). */
export const conversationSorts = ['recent', 'oldest', 'newest', 'priority', 'waiting'] as const
export type ConversationSort = (typeof conversationSorts)[number]

export interface ConversationFilters {
  status?: ConversationStatus | undefined
  priority?: Priority | undefined
  /** The current channel. */
  channel?: Channel | undefined
  /** A user id, or 'none' for unassigned ('me' is resolved to the actor's id by the service). */
  assigneeId?: string | undefined
  /** A team id, or 'none' for conversations without a team. */
  teamId?: string | undefined
  inboxId?: string | undefined
  contactId?: string | undefined
  tag?: string | undefined
  /** A category id, or 'none' for uncategorised conversations. */
  categoryId?: string | undefined
  /**
   * recent: last activity first (default); oldest / newest: by creation;
   * priority: urgent first, then recent activity; waiting: longest since the customer last wrote first.
   */
  sort?: ConversationSort | undefined
}
