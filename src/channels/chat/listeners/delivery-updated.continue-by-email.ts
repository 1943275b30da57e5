import type { DomainEvent, Listener } from '../../../platform/events/events.ts'
import type { Jobs } from '../../../platform/jobs/jobs.ts'
import type { Tx } from '../../../platform/db/tenant.ts'
import { VISITOR_OFFLINE } from '../adapter.ts'
import * as repo from '../chat.repository.ts'

/** The queue of chat replies to send again by email; one job per chat reply, its id the reply's id. */
export const EMAIL_CONTINUATION_QUEUE = 'chat-email-continuation'

export interface EmailContinuationJob {
  workspaceId: string
  conversationId: string
  /** The chat reply that found no open widget. */
  messageId: string
  /** The email inbox to send through. */
  inboxId: string
}

/**
 * When an agent's chat reply found no open widget (`not_delivered`,
 * VISITOR_OFFLINE), queues it to be sent again by email through the chat
 * inbox's `emailInboxId` (or the workspace's first active email inbox). The
 * job id is the chat reply's id, so a repeated event queues nothing more.
 * The email adapter then sends to the contact's email identity (the one the
 * visitor gave, when nobody else had it); a contact without one gets nothing.
 */
export function continueByEmailListener(jobs: Pick<Jobs, 'sendInTx'>): Listener {
  return {
    id: 'chat.continue-by-email',
    types: ['message.delivery-updated'],
    async handle(event: DomainEvent, trx: Tx) {
      const payload = event.payload as { messageId?: string; status?: string; error?: string | null }
      if (payload.status !== 'not_delivered' || !payload.error?.startsWith(VISITOR_OFFLINE) || !payload.messageId) return
      const ws = event.workspaceId
      const message = await repo.outboundWithInbox(trx, ws, payload.messageId)
      if (!message || message.channel !== 'chat' || message.direction !== 'outbound') return
      const configured = (message.config as { emailInboxId?: unknown }).emailInboxId
      const inboxId = typeof configured === 'string' ? configured : (await repo.firstEmailInbox(trx, ws))?.id
      if (!inboxId) return
      const job: EmailContinuationJob = { workspaceId: ws, conversationId: message.conversation_id, messageId: message.id, inboxId }
      await jobs.sendInTx(trx, EMAIL_CONTINUATION_QUEUE, job, { id: message.id, retryLimit: 3, retryDelaySeconds: 30, retryBackoff: true })
    },
  }
}
