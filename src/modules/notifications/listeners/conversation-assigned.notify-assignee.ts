import type { DatabaseListener } from '../../../platform/events/events.ts'
import * as repo from '../notifications.repository.ts'
import { notifyInTx } from '../notifications.service.ts'

/** A conversation assigned to someone notifies them, unless they took it themselves. */
export function notifyAssigneeListener(): DatabaseListener {
  return {
    id: 'notifications.notify-assignee',
    types: ['conversation.assigned'],
    async handle(event, trx) {
      const { assigneeId, previousAssigneeId } = event.payload as { assigneeId?: string | null; previousAssigneeId?: string | null }
      if (!assigneeId || assigneeId === previousAssigneeId || assigneeId === event.actor.id || !event.conversationId) return
      const ws = event.workspaceId
      const assignee = await repo.findUserName(trx, ws, assigneeId)
      if (!assignee?.active) return
      const by = event.actor.id ? await repo.findUserName(trx, ws, event.actor.id) : undefined
      const conv = await repo.findConversationTitle(trx, ws, event.conversationId)
      const who = by?.name ?? event.actor.label
      await notifyInTx(trx, ws, {
        userId: assigneeId,
        kind: 'assignment',
        conversationId: event.conversationId,
        messageId: null,
        actorId: event.actor.id,
        actorName: who,
        text: `${who} assigned #${conv?.number ?? '?'}${conv?.subject ? ` ${conv.subject}` : ''} to you`,
        sourceEventId: event.id,
      })
    },
  }
}
