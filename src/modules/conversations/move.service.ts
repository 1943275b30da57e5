import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { notFound, unprocessable } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { emit } from './conversations.events.ts'
import type { InboxRef } from './conversations.ports.ts'
import { type ConversationsDeps, loadConversation, presentConversation } from './conversations.shared.ts'
import type { Conversation, Priority } from './conversations.types.ts'
import * as messages from './messages.repository.ts'
import { type Message, toMessage } from './messages.types.ts'
import * as moves from './move.repository.ts'

/** What moving needs of intake: opening a conversation (with its number and events) for a split. */
export interface OpenConversationPort {
  openConversationInTx(trx: Tx, actor: Actor, c: { inbox: InboxRef; contactId: string; subject: string | null; priority?: Priority | undefined }): Promise<Row<'conversations'>>
}

const label = (c: Row<'conversations'>) => `#${c.number}`

/**
 * An agent re-files a message: into another conversation (the customer's mail
 * was threaded wrongly) or into a new one (two matters in one case). One
 * transaction: the message and its attachments move, both conversations'
 * activity times are recomputed, each timeline gets `message.moved`, and one
 * audit entry records it. Closed conversations are final in both directions.
 */
export function createMover(p: Platform, deps: ConversationsDeps, intake: OpenConversationPort) {
  /** The message, only if it is in that conversation of the workspace. */
  async function loadMessage(trx: Tx, ws: string, conversationId: string, messageId: string): Promise<Row<'messages'>> {
    const m = await messages.findMessage(trx, ws, conversationId, messageId)
    if (!m) throw notFound('Message')
    return m
  }

  const assertNotClosed = (c: Row<'conversations'>, role: 'from' | 'into') => {
    if (c.status !== 'closed') return
    throw unprocessable(
      role === 'from'
        ? `Conversation ${label(c)} is closed: its messages can no longer be moved`
        : `Conversation ${label(c)} is closed and takes no more messages; split the message into a new conversation instead`,
      { conversationId: c.id, status: c.status },
    )
  }

  // Delivery reads the message's conversation (and so its recipient) when it sends: a reply still
  // on its way must not be re-addressed to another conversation's contact.
  const assertNotInFlight = (m: Row<'messages'>) => {
    if (m.direction === 'outbound' && (m.delivery_status === 'queued' || m.delivery_status === 'deferred'))
      throw unprocessable(`The message is still being delivered (${m.delivery_status}); move it once it is sent or has failed`, { messageId: m.id, deliveryStatus: m.delivery_status })
  }

  async function moveInTx(trx: Tx, actor: Actor, source: Row<'conversations'>, message: Row<'messages'>, target: Row<'conversations'>, split: boolean) {
    const ws = actor.workspaceId
    assertNotInFlight(message)
    const moved = await moves.setMessageConversation(trx, ws, message.id, target.id)
    const after = { source: await moves.refreshActivity(trx, ws, source.id), target: await moves.refreshActivity(trx, ws, target.id) }
    const files = (await messages.attachmentsOf(trx, ws, [message.id])).get(message.id) ?? []
    const contactChanged = source.contact_id !== target.contact_id
    const payload = { messageId: message.id, fromConversationId: source.id, toConversationId: target.id, split, contactChanged, attachments: files.length }
    await emit(trx, actor, after.source, 'message.moved', payload)
    await emit(trx, actor, after.target, 'message.moved', payload)
    await recordAudit(trx, actor, {
      action: split ? 'message.split' : 'message.moved',
      entityType: 'message',
      entityId: message.id,
      changes: {
        before: { conversationId: source.id, contactId: source.contact_id },
        after: { conversationId: target.id, contactId: target.contact_id },
        contactChanged,
        attachments: files.length,
      },
    })
    return { message: toMessage(moved, files), target: after.target }
  }

  return {
    /** Moves a message into another open (not closed) conversation of the workspace; returns the message. */
    async moveMessage(actor: Actor, conversationId: string, messageId: string, input: { conversationId: string }): Promise<Message> {
      authorize(actor, 'conversations:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        if (input.conversationId === conversationId) {
          const c = await loadConversation(trx, ws, conversationId)
          await loadMessage(trx, ws, conversationId, messageId)
          throw unprocessable(`The message is already in conversation ${label(c)}; give another conversationId`, { conversationId })
        }
        // Lock both in id order, so two opposite moves cannot deadlock.
        const [first, second] = [conversationId, input.conversationId].sort()
        const locked = new Map<string, Row<'conversations'>>()
        for (const id of [first, second] as string[]) locked.set(id, await loadConversation(trx, ws, id, { forUpdate: true }))
        const source = locked.get(conversationId) as Row<'conversations'>
        const target = locked.get(input.conversationId) as Row<'conversations'>
        const message = await loadMessage(trx, ws, source.id, messageId)
        assertNotClosed(source, 'from')
        assertNotClosed(target, 'into')
        return (await moveInTx(trx, actor, source, message, target, false)).message
      })
    },

    /** Moves a message into a new conversation with the same contact, inbox and subject; returns that conversation. */
    async splitMessage(actor: Actor, conversationId: string, messageId: string, input: { subject?: string | undefined } = {}): Promise<Conversation> {
      authorize(actor, 'conversations:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        const source = await loadConversation(trx, ws, conversationId, { forUpdate: true })
        const message = await loadMessage(trx, ws, source.id, messageId)
        assertNotClosed(source, 'from')
        assertNotInFlight(message)
        if ((await moves.countMessages(trx, ws, source.id)) < 2)
          throw unprocessable(`The message is the only one of conversation ${label(source)}: there is nothing to split it from`, { conversationId })
        const inbox = (message.inbox_id && (await deps.inboxes.getInTx(trx, ws, message.inbox_id))) || (await deps.inboxes.getInTx(trx, ws, source.inbox_id))
        if (!inbox) throw notFound('Inbox')
        const opened = await intake.openConversationInTx(trx, actor, { inbox, contactId: source.contact_id, subject: input.subject ?? source.subject, priority: source.priority as Priority })
        const { target } = await moveInTx(trx, actor, source, message, opened, true)
        return presentConversation(trx, ws, target)
      })
    },
  }
}
