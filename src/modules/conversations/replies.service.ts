import { sql } from 'kysely'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { emit } from './conversations.events.ts'
import type { InboxRef } from './conversations.ports.ts'
import * as repo from './conversations.repository.ts'
import { type ConversationsDeps, invalidField, loadConversation, nowFor, usableInbox } from './conversations.shared.ts'
import { messageBody } from './intake.service.ts'
import * as messages from './messages.repository.ts'
import { attachmentLimits, type Message, type NewAttachment, type ReplyInput, toMessage } from './messages.types.ts'
import { type Fallback, type ReplyRouting, replyInboxInTx } from './reply-route.ts'
import type { createUpdater } from './update.service.ts'

interface DecodedFile {
  filename: string
  contentType: string
  content: Buffer
}

/** Decodes attachments and enforces the limits before anything is stored. */
function decodeAttachments(files: NewAttachment[] = []): DecodedFile[] {
  if (files.length > attachmentLimits.maxFiles) throw invalidField('body.attachments', `may hold at most ${attachmentLimits.maxFiles} files`)
  return files.map((f, i) => {
    const content = Buffer.from(f.dataBase64, 'base64')
    if (content.length > attachmentLimits.maxBytes)
      throw new AppError('PAYLOAD_TOO_LARGE', `Attachment ${f.filename} is ${content.length} bytes; the limit is ${attachmentLimits.maxBytes}`, [
        { field: `body.attachments.${i}.dataBase64`, message: `decodes to more than ${attachmentLimits.maxBytes} bytes` },
      ])
    return { filename: f.filename, contentType: f.contentType, content }
  })
}

export function createReplies(p: Platform, deps: ConversationsDeps, updater: ReturnType<typeof createUpdater>, routing: ReplyRouting) {
  /** A contact who withdrew consent on a channel (replied STOP) is not messaged there. */
  async function assertConsent(trx: Tx, ws: string, contactId: string, channel: string): Promise<void> {
    const consent = await deps.contacts.findConsentInTx(trx, ws, contactId, channel)
    if (consent?.status === 'withdrawn')
      throw new AppError('CONSENT_WITHDRAWN', `The contact withdrew consent to ${channel} messages${consent.keyword ? ` (they replied ${consent.keyword})` : ''} on ${consent.changedAt}; reply on another channel, or wait until they opt in again (START)`, { channel, keyword: consent.keyword, changedAt: consent.changedAt })
  }

  /** The inbox an outbound message leaves through, and so its channel. */
  async function outboundInbox(trx: Tx, ws: string, conv: Row<'conversations'>, input: ReplyInput): Promise<InboxRef> {
    if (input.inboxId) {
      const inbox = await usableInbox(deps, trx, ws, input.inboxId, 'body.inboxId')
      if (input.channel && input.channel !== inbox.channel) throw invalidField('body.channel', `does not match the inbox's channel (${inbox.channel})`)
      return inbox
    }
    const channel = input.channel ?? conv.channel
    const inbox = await replyInboxInTx(deps, trx, ws, conv, channel)
    if (!inbox) throw new AppError('UNPROCESSABLE', `This workspace has no active ${channel} inbox to reply through`, { channel })
    return inbox
  }

  /** Writes the message, its attachments and the conversation's new state in one transaction. */
  async function writeInTx(trx: Tx, actor: Actor, id: string, input: ReplyInput, body: { text: string; html: string | null }, files: Array<DecodedFile & { blobKey: string }>) {
    const ws = actor.workspaceId
    const conv = await loadConversation(trx, ws, id, { forUpdate: true })
    if (conv.status === 'closed') throw new AppError('UNPROCESSABLE', 'This conversation is closed; a new message from the customer starts a follow-up', { status: conv.status })
    const note = input.private === true
    let inbox = note ? null : await outboundInbox(trx, ws, conv, input)
    let fallback: Fallback | null = null
    if (inbox) {
      await assertConsent(trx, ws, conv.contact_id, inbox.channel)
      // An agent who named a channel or inbox chose it: no fallback then.
      ;({ inbox, fallback } = await routing.route(trx, ws, conv, inbox, { explicit: !!(input.channel || input.inboxId) }))
    }
    const channel = inbox?.channel ?? conv.channel
    const now = nowFor(actor)
    const row = await messages.insertMessage(trx, ws, {
      conversation_id: conv.id,
      inbox_id: inbox?.id ?? null,
      direction: note ? 'note' : 'outbound',
      channel,
      author_type: actor.kind === 'system' ? 'system' : 'user',
      author_id: actor.userId,
      text: body.text,
      html: body.html,
      // A historical reply (actor.occurredAt) was sent back then: the delivery job leaves it alone.
      delivery_status: note ? null : actor.occurredAt ? 'sent' : 'queued',
      metadata: JSON.stringify(fallback ? { fallback } : {}),
      ...(actor.occurredAt && { created_at: actor.occurredAt }),
    })
    const attachments = await messages.insertAttachments(trx, ws, row.id, files.map((f) => ({ ...f, size: f.content.length })))
    let updated = await repo.updateConversation(trx, ws, conv.id, note ? {} : {
      channel,
      first_response_at: sql<Date>`coalesce(first_response_at, ${now})`,
      last_message_at: now,
    }, now)
    if (inbox && conv.channel !== channel)
      await emit(trx, actor, updated, 'conversation.channel-switched', { from: conv.channel, to: channel, inboxId: inbox.id, by: fallback ? 'fallback' : 'user' })
    if (fallback) await emit(trx, actor, updated, 'message.rerouted', { messageId: row.id, ...fallback })
    await emit(trx, actor, updated, 'message.created', {
      messageId: row.id,
      direction: row.direction as 'outbound' | 'note',
      channel,
      attachments: attachments.length,
      ...(row.delivery_status === 'sent' && { recordedAsSent: true as const }),
    })
    await recordAudit(trx, actor, {
      action: 'message.created',
      entityType: 'conversation',
      entityId: conv.id,
      changes: { messageId: row.id, direction: row.direction, channel, ...(conv.channel !== updated.channel && { channelBefore: conv.channel }), attachments: attachments.length, ...(fallback && { fallbackFrom: fallback.from.channel, fallbackCode: fallback.code }) },
    })
    if (input.status) updated = await updater.changeInTx(trx, actor, updated, { status: input.status })
    return { conversation: updated, message: row, attachments }
  }

  return {
    /**
     * A message the system sends on its own (an automatic acknowledgement),
     * inside the caller's transaction (a listener's): outbound through that
     * inbox, `queued` for the delivery job like any reply, marked
     * `metadata.automatic`; not a first response, and the status is kept.
     */
    async addAutomaticMessageInTx(
      trx: Tx,
      actor: Actor,
      conversationId: string,
      input: { inboxId: string; text: string; subject?: string | undefined; metadata?: Record<string, unknown> },
    ): Promise<Message> {
      const ws = actor.workspaceId
      const conv = await loadConversation(trx, ws, conversationId)
      const inbox = await usableInbox(deps, trx, ws, input.inboxId, 'inboxId')
      const row = await messages.insertMessage(trx, ws, {
        conversation_id: conv.id,
        inbox_id: inbox.id,
        direction: 'outbound',
        channel: inbox.channel,
        author_type: 'system',
        author_id: null,
        text: input.text,
        html: null,
        delivery_status: 'queued',
        metadata: JSON.stringify({ ...input.metadata, automatic: true, ...(input.subject && { subject: input.subject }) }),
      })
      await emit(trx, actor, conv, 'message.created', { messageId: row.id, direction: 'outbound', channel: inbox.channel, attachments: 0 })
      await recordAudit(trx, actor, { action: 'message.created', entityType: 'conversation', entityId: conv.id, changes: { messageId: row.id, direction: 'outbound', channel: inbox.channel, automatic: true } })
      return toMessage(row, [])
    },

    /**
     * An agent's reply (outbound, sent through the conversation's inbox or the
     * one given) or internal note. A reply on another channel switches the
     * conversation's channel. The reply is returned `queued`: the delivery
     * job (delivery.service.ts) sends it after the commit, never inside it, and
     * records sent/deferred/failed/not_delivered with a message.delivery-updated event.
     */
    async addMessage(actor: Actor, id: string, input: ReplyInput): Promise<Message> {
      authorize(actor, 'messages:write')
      if (input.status) authorize(actor, 'conversations:write')
      if (input.private && (input.channel || input.inboxId)) throw invalidField('body.private', 'notes are not sent, so they take no channel or inboxId')
      const body = messageBody(input)
      const files = decodeAttachments(input.attachments)
      const stored: Array<DecodedFile & { blobKey: string }> = []
      let written: Awaited<ReturnType<typeof writeInTx>>
      try {
        for (const f of files) stored.push({ ...f, blobKey: (await p.blobs.put(f.content, { workspaceId: actor.workspaceId, filename: f.filename })).key })
        written = await p.tx(actor, (trx) => writeInTx(trx, actor, id, input, body, stored))
      } catch (err) {
        // Nothing references the blobs of a message that was not written.
        await Promise.all(stored.map((s) => p.blobs.delete(s.blobKey).catch(() => undefined)))
        throw err
      }
      return toMessage(written.message, written.attachments)
    },
  }
}
