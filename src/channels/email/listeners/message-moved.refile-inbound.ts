import type { Listener } from '../../../platform/events/events.ts'

/**
 * When an agent moves (or splits) a message that came in by email, the
 * inbound mail's row follows it, so the inbound list links to the
 * conversation the mail is in now. Its `threading` keeps the original
 * decision: that is what happened at arrival. Safe to run twice (sets a value).
 */
export const refileInboundOnMessageMoved: Listener = {
  id: 'email.refile-inbound-on-message-moved',
  types: ['message.moved'],
  async handle(event, trx) {
    const { messageId, toConversationId } = event.payload as { messageId?: string; toConversationId?: string }
    if (!messageId || !toConversationId) return
    await trx
      .updateTable('inbound_emails')
      .set({ conversation_id: toConversationId })
      .where('workspace_id', '=', event.workspaceId)
      .where('message_id', '=', messageId)
      .execute()
  },
}
