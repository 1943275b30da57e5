import { sql } from 'kysely'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import type { Platform } from '../../platform/platform.ts'
import { emit } from './conversations.events.ts'
import * as repo from './conversations.repository.ts'
import type { DeliveryStatus } from './messages.types.ts'

/** A delivery status a provider reported later, by callback (Twilio's StatusCallback, WhatsApp's statuses…). */
export interface ProviderStatusReport {
  inboxId: string
  /** Our message id, when the provider echoes it back (a StatusCallback URL carrying it); else found by providerMessageId. */
  messageId?: string | undefined
  providerMessageId: string
  /** What the status means here: the message was sent, delivered (or read), or failed after all. */
  status: Extract<DeliveryStatus, 'sent' | 'delivered' | 'failed'>
  /** The provider's own word for it (`undelivered`, `read`…), kept in the message's metadata and the timeline. */
  providerStatus: string
  /** The provider's reason for a failure, for people (`Twilio error 30003: Unreachable destination handset`). */
  error?: string | null | undefined
  errorCode?: string | null | undefined
}

export type ProviderStatusOutcome = 'updated' | 'unchanged' | 'unknown-message'

// A later report never moves a message back: delivered is not undone by a late `sent`.
const rank: Record<string, number> = { queued: 0, deferred: 1, not_delivered: 1, sent: 2, failed: 3, delivered: 4 }

/**
 * Records a status a provider reported after the send, for every channel
 * that has delivery callbacks: on the message (status, error, the provider's
 * word in `metadata.providerStatus`) and in the timeline
 * (`message.status-reported`), with `message.delivery-updated` for listeners.
 * Safe to repeat: the same report twice changes nothing the second time.
 */
export function createProviderStatus(p: Platform) {
  return {
    async recordProviderStatus(actor: Actor, report: ProviderStatusReport): Promise<ProviderStatusOutcome> {
      authorize(actor, 'conversations:write')
      const ws = actor.workspaceId
      return p.tx(actor, async (trx) => {
        let q = trx.selectFrom('messages').selectAll().where('workspace_id', '=', ws).where('inbox_id', '=', report.inboxId).where('direction', '=', 'outbound')
        q = report.messageId ? q.where('id', '=', report.messageId) : q.where('provider_message_id', '=', report.providerMessageId)
        const row = await q.forUpdate().executeTakeFirst()
        if (!row) return 'unknown-message'
        const meta = row.metadata as { providerStatus?: unknown }
        const current = row.delivery_status ?? 'queued'
        const sameReport = meta.providerStatus === report.providerStatus && row.provider_message_id === report.providerMessageId
        // `failed` from the provider after `delivered` is kept (carriers do report late failures); nothing else moves back.
        const regresses = (rank[report.status] ?? 0) < (rank[current] ?? 0) && !(report.status === 'failed' && current === 'delivered')
        if (sameReport || regresses) return 'unchanged'
        const error = report.status === 'failed' ? (report.error ?? `the provider reported ${report.providerStatus}`).slice(0, 2000) : null
        await trx
          .updateTable('messages')
          .set({
            delivery_status: report.status,
            delivery_error: error,
            provider_message_id: row.provider_message_id ?? report.providerMessageId,
            metadata: sql`metadata || ${JSON.stringify({ providerStatus: report.providerStatus, ...(report.errorCode && { providerErrorCode: report.errorCode }) })}::jsonb`,
          })
          .where('workspace_id', '=', ws)
          .where('id', '=', row.id)
          .execute()
        const conv = await repo.findConversation(trx, ws, row.conversation_id)
        if (!conv) return 'updated'
        await emit(trx, actor, conv, 'message.delivery-updated', { messageId: row.id, status: report.status, error, providerMessageId: report.providerMessageId, details: { providerStatus: report.providerStatus, ...(report.errorCode && { errorCode: report.errorCode }), source: 'provider-callback' } })
        await emit(trx, actor, conv, 'message.status-reported', { messageId: row.id, status: report.status, providerStatus: report.providerStatus, error, ...(report.errorCode && { errorCode: report.errorCode }) })
        return 'updated'
      })
    },
  }
}
