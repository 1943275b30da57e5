import type { DatabaseListener } from '../../../platform/events/events.ts'
import * as repo from '../notifications.repository.ts'
import { notifyInTx } from '../notifications.service.ts'
import { excerpt, parseMentions } from '../notifications.types.ts'

/**
 * An internal note that mentions colleagues (`@ada` or `@ada@example.com`)
 * notifies each of them, except its author. Replies to customers mention
 * nobody: an @ in a customer-facing message is not addressed to a colleague.
 */
export function notifyMentionsListener(): DatabaseListener {
  return {
    id: 'notifications.notify-mentions',
    types: ['message.created'],
    async handle(event, trx) {
      const { messageId, direction } = event.payload as { messageId?: string; direction?: string }
      if (direction !== 'note' || !messageId) return
      const ws = event.workspaceId
      const message = await repo.findMessage(trx, ws, messageId)
      if (!message) return
      const mentioned = await repo.usersMentioned(trx, ws, parseMentions(message.text))
      const recipients = mentioned.filter((u) => u.id !== message.author_id)
      if (recipients.length === 0) return
      const author = message.author_id ? await repo.findUserName(trx, ws, message.author_id) : undefined
      const conv = await repo.findConversationTitle(trx, ws, message.conversation_id)
      const who = author?.name ?? event.actor.label
      for (const u of recipients) {
        await notifyInTx(trx, ws, {
          userId: u.id,
          kind: 'mention',
          conversationId: message.conversation_id,
          messageId,
          actorId: message.author_id,
          actorName: who,
          text: `${who} mentioned you on #${conv?.number ?? '?'}: ${excerpt(message.text)}`,
          sourceEventId: event.id,
        })
      }
    },
  }
}
