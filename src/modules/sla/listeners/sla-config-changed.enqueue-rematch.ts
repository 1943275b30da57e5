import type { Listener } from '../../../platform/events/events.ts'
import type { Jobs } from '../../../platform/jobs/jobs.ts'
import { CONFIG_CHANGED } from '../calendars.service.ts'

export const SLA_REMATCH_QUEUE = 'sla-rematch'
export interface SlaRematchJob {
  workspaceId: string
  reason: string
  /** When the change committed (its event's time). */
  changedAt?: string
}

/**
 * A policy or calendar changed: re-evaluate the workspace's open cases in a
 * durable job (enqueued in this listener's transaction, so exactly once).
 */
export function enqueueRematchListener(jobs: Pick<Jobs, 'sendInTx'>): Listener {
  return {
    id: 'sla.enqueue-rematch',
    types: [CONFIG_CHANGED],
    async handle(event, trx) {
      const reason = typeof event.payload.reason === 'string' ? event.payload.reason : 'configuration changed'
      await jobs.sendInTx(trx, SLA_REMATCH_QUEUE, { workspaceId: event.workspaceId, reason, changedAt: event.createdAt } satisfies SlaRematchJob, { retryLimit: 5 })
    },
  }
}
