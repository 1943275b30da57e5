import type { Config } from '../../../platform/config.ts'
import type { Listener } from '../../../platform/events/events.ts'
import type { Jobs } from '../../../platform/jobs/jobs.ts'

/** The job queue outbound messages are delivered through; one job per message, its id the message id. */
export const DELIVERY_QUEUE = 'message-delivery'

export interface DeliveryJob {
  workspaceId: string
  messageId: string
  /** Attempts made by earlier jobs of this message (one re-enqueued to honour a provider's Retry-After). */
  priorAttempts?: number
}

/**
 * Turns a committed outbound `message.created` into its delivery job, inside
 * the dispatcher's transaction: the job exists exactly when this listener's run
 * is recorded, so the send is neither lost nor enqueued twice.
 */
export function enqueueDeliveryListener(jobs: Pick<Jobs, 'sendInTx'>, config: Pick<Config, 'outboundRetryLimit' | 'outboundRetryDelaySeconds'>): Listener {
  return {
    id: 'conversations.enqueue-delivery',
    types: ['message.created'],
    async handle(event, trx) {
      const payload = event.payload as { messageId: string; direction: string; recordedAsSent?: boolean }
      if (payload.direction !== 'outbound' || payload.recordedAsSent) return
      const job: DeliveryJob = { workspaceId: event.workspaceId, messageId: payload.messageId }
      // The job id is the message id: should this run repeat, the second insert does nothing.
      await jobs.sendInTx(trx, DELIVERY_QUEUE, job, {
        id: payload.messageId,
        retryLimit: config.outboundRetryLimit,
        retryDelaySeconds: config.outboundRetryDelaySeconds,
        retryBackoff: true,
      })
    },
  }
}
