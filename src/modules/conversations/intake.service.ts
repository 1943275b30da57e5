import { sql } from 'kysely'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { emit, type IngestOutcome } from './conversations.events.ts'
import type { InboxRef } from './conversations.ports.ts'
import * as repo from './conversations.repository.ts'
import {
  type ConversationsDeps,
  checkAssignPermission,
  invalidField,
  loadConversation,
  nowFor,
  presentConversation,
  statusChangeSet,
  usableInbox,
  validateAssignmentInTx,
} from './conversations.shared.ts'
import { type ContactInput, type Conversation, type ConversationStatus, type Priority, toConversation } from './conversations.types.ts'
import { htmlToText, sanitizeHtml } from './html-sanitizer.ts'
import { perTransaction } from '../../platform/db/tx-memo.ts'
import { continuedReason, continuitySearchInTx } from './continuity.ts'
import * as messages from './messages.repository.ts'
import { type Message, toMessage } from './messages.types.ts'

export interface NewConversation {
  inboxId?: string | undefined
  contact: ContactInput
  subject?: string | undefined
  priority?: Priority | undefined
  message: { text?: string | undefined; html?: string | undefined }
  tags?: string[] | undefined
  categoryId?: string | undefined
  customFields?: Record<string, unknown> | undefined
  assigneeId?: string | undefined
  teamId?: string | undefined
}

export interface InboundMessage {
  inboxId: string
  contact: ContactInput
  /** Append to this conversation (404 if it is not in the workspace). */
  conversationId?: string | undefined
  subject?: string | undefined
  text?: string | undefined
  html?: string | undefined
  /** The channel provider's id for the message: a repeat is absorbed. */
  providerMessageId?: string | undefined
  /**
   * The caller already holds the lock of providerMessageLockKey(workspace,
   * inbox, providerMessageId) in this transaction and, after taking it, found
   * no message of the inbox with that id: the intake skips its own lock and
   * lookup (two statements). Pass it only then; a repeat is otherwise doubled.
   */
  providerMessageIdChecked?: boolean | undefined
  metadata?: Record<string, unknown> | undefined
  /**
   * A solved `conversationId` reopens only if it was solved at most this many
   * days ago; otherwise (and always when it is closed) a follow-up linked to it
   * is opened. Unset: a solved conversation always reopens.
   */
  reopenWindowDays?: number | undefined
  /**
   * How the workspace's continuity rule applies when no `conversationId` is
   * given (docs/channels/README.md, "Continuity"): `rule` (the default) as the
   * workspace says; `other-channels` for a channel that threads its own
   * messages (email: headers, token, subject): only a case currently on
   * another channel may continue, and only under `any_channel`; `off`: never.
   */
  continuity?: 'rule' | 'other-channels' | 'off' | undefined
  /** Why the channel chose `conversationId` (or none): shown in the timeline as `message.threaded`. */
  threading?: { rule: string | null; reason: string } | undefined
  /**
   * Files the channel has already put in the blob store, inserted with the
   * message. They are not referenced when the outcome is 'duplicate' or the
   * call fails: the caller deletes them then.
   */
  attachments?: InboundAttachment[] | undefined
}

/** A stored file of an inbound message (email parts: `contentId` is the `cid:` the HTML uses). */
export interface InboundAttachment {
  filename: string
  contentType: string
  size: number
  blobKey: string
  contentId?: string | null | undefined
  inline?: boolean | undefined
}

export interface IngestResult {
  conversation: Conversation
  message: Message
  /** True when providerMessageId was seen before: nothing was written. */
  duplicate: boolean
  /** What happened to the conversation; 'duplicate' when nothing was written. */
  outcome: IngestOutcome | 'duplicate'
  /** Why the continuity rule continued an open case (no conversationId was given), else null. */
  continued: string | null
}

const DAY_MS = 24 * 60 * 60 * 1000

/** Why a message for `conv` must go to a follow-up instead, or null when it may join `conv`. */
function followUpReason(conv: Row<'conversations'>, reopenWindowDays: number | undefined): 'closed' | 'reopen-window-passed' | null {
  if (conv.status === 'closed') return 'closed'
  if (conv.status !== 'solved' || reopenWindowDays === undefined || !conv.solved_at) return null
  return Date.now() - conv.solved_at.getTime() > reopenWindowDays * DAY_MS ? 'reopen-window-passed' : null
}

/** Sanitised HTML and the text to store (derived from the HTML when no text was given). */
export function messageBody(input: { text?: string | undefined; html?: string | undefined }, field = 'body.text'): { text: string; html: string | null } {
  const html = input.html?.trim() ? sanitizeHtml(input.html) : null
  // Text is stored exactly as given (a reply's indentation and line breaks are part of it); blank text falls back to the HTML's.
  const text = input.text?.trim() ? input.text : input.html ? htmlToText(input.html) : ''
  if (!text && !html) throw invalidField(field, 'is required (give text or html)')
  return { text, html: html || null }
}

/** A new conversation has no values to clear: a null custom field is simply not set. */
const withoutNulls = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null))

export function createIntake(p: Platform, deps: ConversationsDeps) {
  const inboxOnce = perTransaction<InboxRef | null>()
  type OpenArgs = { contactId: string; subject: string | null; priority?: Priority | undefined; tags?: string[]; categoryId?: string | null; customFields?: Record<string, unknown>; assigneeId?: string | null; teamId?: string | null; followUpOf?: string; firstInbound?: boolean }

  /** The columns of a new open conversation (its inbox, channel and number aside). */
  function conversationValues(actor: Actor, c: OpenArgs) {
    const now = nowFor(actor)
    return {
      subject: c.subject,
      priority: c.priority ?? 'normal',
      contact_id: c.contactId,
      follow_up_of: c.followUpOf ?? null,
      assignee_id: c.assigneeId ?? null,
      team_id: c.teamId ?? null,
      category_id: c.categoryId ?? null,
      custom_fields: JSON.stringify(c.customFields ?? {}),
      ...(c.firstInbound && { first_inbound_at: now, last_customer_message_at: now, last_message_at: now }),
      ...(actor.occurredAt && { created_at: now, updated_at: now }),
    }
  }

  /** `conversation.created` (and `conversation.assigned` when it was opened assigned), in that order. */
  async function emitOpened(trx: Tx, actor: Actor, row: Row<'conversations'>, followUpOf: string | undefined) {
    await emit(trx, actor, row, 'conversation.created', {
      number: Number(row.number),
      inboxId: row.inbox_id,
      channel: row.channel,
      status: row.status as ConversationStatus,
      priority: row.priority as Priority,
      ...(followUpOf && { followUpOf }),
    })
    if (row.assignee_id || row.team_id)
      await emit(trx, actor, row, 'conversation.assigned', { assigneeId: row.assignee_id, teamId: row.team_id, previousAssigneeId: null, previousTeamId: null })
  }

  /**
   * Inserts a new open conversation with its number, tags and assignment.
   * `firstInbound`: its inbound timestamps are set in the insert.
   */
  async function openConversationInTx(trx: Tx, actor: Actor, c: OpenArgs & { inbox: InboxRef }): Promise<Row<'conversations'>> {
    const ws = actor.workspaceId
    // The number is the transaction's last lock: open the conversation after every other read and lock of the use case.
    const row = await repo.insertNumberedConversation(trx, ws, { ...conversationValues(actor, c), inbox_id: c.inbox.id, channel: c.inbox.channel })
    await repo.addTags(trx, ws, row.id, c.tags ?? [])
    await emitOpened(trx, actor, row, c.followUpOf)
    return row
  }

  /**
   * A customer's first message opens a conversation: both rows in one
   * statement (conversations.repository.ts, insertNumberedConversationWithMessage),
   * then its tags. `inbox` 'default': the workspace's default inbox, created
   * (an API inbox) on the rare first use. Emits nothing: the caller emits
   * emitOpened, its own events, then `message.received`, in that order.
   */
  async function insertOpenedWithMessageInTx(
    trx: Tx,
    actor: Actor,
    c: OpenArgs & { inbox: InboxRef | 'default' },
    m: { contactId: string; text: string; html: string | null; providerMessageId: string | null; metadata: Record<string, unknown> },
  ): Promise<{ conversation: Row<'conversations'>; message: Row<'messages'> }> {
    const ws = actor.workspaceId
    const message = inboundMessageFields(actor, m)
    const values = conversationValues(actor, { ...c, firstInbound: true })
    // The number is the transaction's last lock: open the conversation after every other read and lock of the use case.
    let rows = await repo.insertNumberedConversationWithMessage(trx, ws, c.inbox === 'default' ? 'default' : { id: c.inbox.id }, values, message)
    if (!rows && c.inbox === 'default') {
      // No default inbox yet (a workspace's first create): nothing was written or locked; create it and open there.
      const inbox = await deps.inboxes.ensureDefaultApiInboxInTx(trx, ws)
      rows = await repo.insertNumberedConversationWithMessage(trx, ws, { id: inbox.id }, values, message)
    }
    if (!rows) throw new Error(`inbox of workspace ${ws} vanished while a conversation was opened in it`)
    await repo.addTags(trx, ws, rows.conversation.id, c.tags ?? [])
    return rows
  }

  /** The columns of a customer's message that do not depend on where it is filed. */
  const inboundMessageFields = (actor: Actor, m: { contactId: string; text: string; html: string | null; providerMessageId: string | null; metadata: Record<string, unknown> }) => ({
    direction: 'inbound' as const,
    author_type: 'contact' as const,
    author_id: m.contactId,
    text: m.text,
    html: m.html,
    provider_message_id: m.providerMessageId,
    metadata: JSON.stringify(m.metadata),
    ...(actor.occurredAt && { created_at: actor.occurredAt }),
  })

  const emitReceived = (trx: Tx, actor: Actor, conv: Row<'conversations'>, message: Row<'messages'>, providerMessageId: string | null) =>
    emit(trx, actor, conv, 'message.received', { messageId: message.id, inboxId: conv.inbox_id, channel: message.channel, providerMessageId })

  /**
   * Appends a customer's message and moves the conversation along: its current
   * channel becomes the one the customer wrote on, a pending
   * conversation (waiting on the customer) becomes open, a solved one reopens.
   * A new conversation opens with its message instead (insertOpenedWithMessageInTx).
   */
  async function appendInboundInTx(
    trx: Tx,
    actor: Actor,
    conv: Row<'conversations'>,
    m: { inbox: InboxRef; contactId: string; text: string; html: string | null; providerMessageId: string | null; metadata: Record<string, unknown> },
  ): Promise<{ conversation: Row<'conversations'>; message: Row<'messages'> }> {
    const ws = actor.workspaceId
    const now = nowFor(actor)
    const from = conv.status as ConversationStatus
    const to: ConversationStatus = from === 'solved' || from === 'pending' ? 'open' : from
    // The message and the conversation's update in one statement (the row is locked already: loaded FOR UPDATE).
    const { conversation: updated, message } = await messages.insertMessageUpdatingConversation(
      trx,
      ws,
      conv.id,
      { inbox_id: m.inbox.id, channel: m.inbox.channel, ...inboundMessageFields(actor, m) },
      {
        ...(to !== from && statusChangeSet(conv, to, now)),
        channel: m.inbox.channel,
        first_inbound_at: sql<Date>`coalesce(first_inbound_at, ${now})`,
        last_customer_message_at: now,
        last_message_at: now,
      },
      now,
    )
    if (conv.channel !== updated.channel)
      await emit(trx, actor, updated, 'conversation.channel-switched', { from: conv.channel, to: updated.channel, inboxId: m.inbox.id, by: 'contact' })
    if (to !== from) {
      await emit(trx, actor, updated, 'conversation.status-changed', { from, to, reason: from === 'solved' ? 'reopened' : 'customer-replied' })
      if (from === 'solved') await emit(trx, actor, updated, 'conversation.reopened', { reopenCount: updated.reopen_count, by: 'contact' })
    }
    await emitReceived(trx, actor, updated, message, m.providerMessageId)
    return { conversation: updated, message }
  }

  return {
    /** For moving messages into a new conversation (split); not part of the public service. */
    openConversationInTx,

    /** An agent or integration opens a case on the customer's behalf: the first message is the customer's. */
    async create(actor: Actor, input: NewConversation): Promise<Conversation> {
      authorize(actor, 'conversations:write')
      if (input.assigneeId) checkAssignPermission(actor, null, input.assigneeId)
      const body = messageBody(input.message, 'body.message.text')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        // The default inbox is read by the statement that opens the conversation (and created there on first use).
        const inbox = input.inboxId ? await usableInbox(deps, trx, ws, input.inboxId, 'body.inboxId') : 'default'
        const { contactId } = await deps.contacts.resolveContactInTx(trx, actor, input.contact)
        if (input.categoryId) await deps.taxonomy.assertCategoryInTx(trx, ws, input.categoryId)
        const customFields = input.customFields ? withoutNulls(await deps.taxonomy.validateCustomFieldsInTx(trx, ws, input.customFields)) : {}
        const tags = input.tags?.length ? await deps.taxonomy.ensureTagsInTx(trx, ws, input.tags) : []
        await validateAssignmentInTx(trx, ws, input)
        const { conversation, message } = await insertOpenedWithMessageInTx(trx, actor, { ...input, inbox, contactId, subject: input.subject ?? null, tags, customFields }, { contactId, ...body, providerMessageId: null, metadata: {} })
        await emitOpened(trx, actor, conversation, undefined)
        await emitReceived(trx, actor, conversation, message, null)
        await recordAudit(trx, actor, {
          action: 'conversation.created',
          entityType: 'conversation',
          entityId: conversation.id,
          // Ids and settings only: message text and contact details stay out of the append-only log.
          changes: {
            after: { number: Number(conversation.number), inboxId: conversation.inbox_id, contactId, priority: conversation.priority, assigneeId: conversation.assignee_id, teamId: conversation.team_id, categoryId: conversation.category_id, tags, messageId: message.id },
          },
        })
        // Its tags are the ones just added; only a tagged one needs them read back (in their stored order).
        return tags.length > 0 ? presentConversation(trx, ws, conversation) : toConversation(conversation, [])
      })
    },

    /**
     * The entry for every channel's inbound messages: idempotent on
     * providerMessageId per inbox; appends to `conversationId` when given
     * (a closed one gets a follow-up conversation instead), else opens one.
     * `opts.channel` restricts the inbox's channel (the API ingress passes 'api').
     */
    async ingestInbound(actor: Actor, input: InboundMessage, opts: { channel?: string } = {}): Promise<IngestResult> {
      authorize(actor, 'conversations:write')
      messageBody(input)
      return p.tx(actor, (trx) => ingestInboundInTx(trx, actor, input, opts))
    },

    /**
     * ingestInbound inside the caller's transaction (opened with p.tx for the
     * actor's workspace): a channel that writes its own rows with the message
     * (the email pipeline's outcome) commits everything at once.
     */
    ingestInboundInTx,
  }

  /**
   * `opts.details: false`: the result's conversation comes without its tags
   * and SLA summary (two reads fewer when a message joins an existing case),
   * for a caller that uses only the conversation's own columns.
   */
  async function ingestInboundInTx(trx: Tx, actor: Actor, input: InboundMessage, opts: { channel?: string; details?: boolean } = {}): Promise<IngestResult> {
      authorize(actor, 'conversations:write')
      const body = messageBody(input)
      // A block (not a callback any more) keeps this body's indentation, and the diff, unchanged.
      {
        const ws = actor.workspaceId
        // Read once per transaction: a channel writing a batch of messages in one transaction (email) reads it once.
        const inbox = await inboxOnce(trx, `${ws}:${input.inboxId}`, () => deps.inboxes.getInTx(trx, ws, input.inboxId))
        if (!inbox) throw notFound('Inbox')
        if (opts.channel && inbox.channel !== opts.channel)
          throw new AppError('UNPROCESSABLE', `Inbox ${inbox.id} is a ${inbox.channel} inbox; this entry accepts ${opts.channel} inboxes only`, { channel: inbox.channel })
        if (!inbox.active) throw new AppError('UNPROCESSABLE', `Inbox ${inbox.id} is inactive`, { inboxId: inbox.id })
        const providerMessageId = input.providerMessageId ?? null
        if (providerMessageId && !input.providerMessageIdChecked) {
          await messages.lockProviderMessageId(trx, ws, inbox.id, providerMessageId)
          const seen = await messages.findMessageByProviderId(trx, ws, inbox.id, providerMessageId)
          if (seen) {
            const conversation = await loadConversation(trx, ws, seen.conversation_id)
            const files = await messages.attachmentsOf(trx, ws, [seen.id])
            const presented = opts.details === false ? toConversation(conversation, []) : await presentConversation(trx, ws, conversation)
            return { conversation: presented, message: toMessage(seen, files.get(seen.id) ?? []), duplicate: true, outcome: 'duplicate', continued: null }
          }
        }
        const { contactId, created: newContact } = await deps.contacts.resolveContactInTx(trx, actor, input.contact)
        // Continuity, when no thread was given: the contact's lock (taken by resolveContactInTx) serialises this with the contact's other messages.
        // A contact this transaction just created has no case yet: nothing to look for.
        const search = input.conversationId || newContact ? null : await continuitySearchInTx(deps, trx, ws, inbox.channel, input.continuity ?? 'rule')
        // The lookup and, when it finds no case, the new case with its message: one statement (messages.openUnlessContinuable).
        const found = search
          ? await messages.openUnlessContinuable(trx, ws, inbox.id, contactId, search, conversationValues(actor, { contactId, subject: input.subject ?? null, firstInbound: true }), inboundMessageFields(actor, { contactId, ...body, providerMessageId, metadata: input.metadata ?? {} }))
          : null
        if (search && !found) throw new Error(`inbox of workspace ${ws} vanished while a conversation was opened in it`)
        const continued = found && 'continued' in found ? { conversation: found.continued, reason: continuedReason(found.continued, inbox.channel, search as NonNullable<typeof search>) } : null
        const opened = found && 'opened' in found ? found.opened : null
        const target = input.conversationId ? await loadConversation(trx, ws, input.conversationId, { forUpdate: true }) : (continued?.conversation ?? null)
        // Closed is final, and a case solved long ago is a new matter: the message starts a follow-up linked to the old one.
        const linkReason = target ? followUpReason(target, input.reopenWindowDays) : null
        const followUpOf = target && linkReason ? target.id : null
        const metadata = { ...input.metadata, ...(followUpOf && { followUpOf }) }
        const created = !target || followUpOf !== null
        let written: { conversation: Row<'conversations'>; message: Row<'messages'> }
        if (created) {
          // A new case (or a follow-up): the conversation and the message in one statement, then the events in their usual order.
          const subject = input.subject ?? (followUpOf ? (target?.subject ?? null) : null)
          const priority = followUpOf ? (target?.priority as Priority) : undefined
          written = opened ?? (await insertOpenedWithMessageInTx(trx, actor, { inbox, contactId, subject, priority, ...(followUpOf && { followUpOf }) }, { contactId, ...body, providerMessageId, metadata }))
          await emitOpened(trx, actor, written.conversation, followUpOf ?? undefined)
          if (target && linkReason) {
            const conv = written.conversation
            const link = { followUpOf: target.id, followUpOfNumber: Number(target.number), followUpId: conv.id, followUpNumber: Number(conv.number), reason: linkReason }
            await emit(trx, actor, target, 'conversation.follow-up-linked', link)
            await emit(trx, actor, conv, 'conversation.follow-up-linked', link)
          }
          await emitReceived(trx, actor, written.conversation, written.message, providerMessageId)
        } else {
          written = await appendInboundInTx(trx, actor, target, { inbox, contactId, ...body, providerMessageId, metadata })
        }
        const outcome: IngestOutcome = followUpOf ? 'follow-up' : created ? 'created' : target?.status === 'solved' ? 'reopened' : 'appended'
        const { conversation, message } = written
        const attachments = await messages.insertAttachments(trx, ws, message.id, input.attachments ?? [])
        const threading = continued ? { rule: 'continuity', reason: continued.reason } : input.threading
        if (threading) await emit(trx, actor, conversation, 'message.threaded', { messageId: message.id, rule: threading.rule, reason: threading.reason, outcome, ...(followUpOf && { followUpOf }) })
        await recordAudit(trx, actor, {
          action: 'message.received',
          entityType: 'conversation',
          entityId: conversation.id,
          changes: { messageId: message.id, inboxId: inbox.id, providerMessageId, createdConversation: created, outcome, ...(followUpOf && { followUpOf, followUpReason: linkReason }), ...(attachments.length > 0 && { attachments: attachments.length }) },
        })
        // A conversation opened here has no tags, and its SLA is evaluated by a listener after commit: nothing to read back.
        const presented = created || opts.details === false ? toConversation(conversation, []) : await presentConversation(trx, ws, conversation)
        return { conversation: presented, message: toMessage(message, attachments), duplicate: false, outcome, continued: continued?.reason ?? null }
      }
  }
}
