import { systemActor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { isUniqueViolation } from '../../platform/errors.ts'
import type { JobInfo } from '../../platform/jobs/jobs.ts'
import type { Platform } from '../../platform/platform.ts'
import { emit } from './conversations.events.ts'
import type { OutboundMessage, SendResult } from './conversations.ports.ts'
import * as repo from './conversations.repository.ts'
import type { ConversationsDeps } from './conversations.shared.ts'
import type { Breakers } from './delivery.breakers.ts'
import * as delivery from './delivery.repository.ts'
import { DELIVERY_QUEUE, type DeliveryJob, enqueueDeliveryListener } from './listeners/message-created.enqueue-delivery.ts'
import * as messages from './messages.repository.ts'
import type { DeliveryStatus } from './messages.types.ts'

/** Thrown to hand a deferred send back to the job queue, which retries it with backoff. */
class DeferredDelivery extends Error {}

/**
 * Durable outbound delivery, for every channel. The reply's row and its
 * `message.created` event commit together (replies.service.ts); a listener
 * (listeners/message-created.enqueue-delivery.ts) turns that event into a delivery job inside the dispatcher's
 * transaction, so a crash at any point leaves either the event (delivered
 * again after restart) or the job. The worker then sends with no transaction
 * open — PGlite has one connection, and a transaction held across SMTP would
 * stall the whole app — and records the outcome:
 * sent | deferred (retried with exponential backoff) | failed | not_delivered.
 */
export function createDelivery(p: Platform, deps: ConversationsDeps, breakers: Breakers) {
  const { config } = p

  /** Everything the send needs, read in one short transaction; null when there is nothing (left) to send. */
  async function prepare(trx: Tx, ws: string, messageId: string) {
    const row = await delivery.findOutbound(trx, ws, messageId)
    if (!row || !row.inbox_id || (row.delivery_status !== 'queued' && row.delivery_status !== 'deferred')) return null
    const conv = await repo.findConversation(trx, ws, row.conversation_id)
    if (!conv) return null
    const contact = await deps.contacts.getContactInTx(trx, ws, conv.contact_id)
    const parent = await delivery.lastInboundWithProviderId(trx, ws, conv.id, row.inbox_id)
    const files = await delivery.attachmentFiles(trx, ws, row.id)
    const meta = row.metadata as { automatic?: unknown; subject?: unknown }
    const outbound: OutboundMessage = {
      messageId: row.id,
      conversationId: conv.id,
      to: { identities: (contact?.identities ?? []).map((i) => ({ kind: i.kind, value: i.value, undeliverable: i.undeliverable, ...(i.deliverability && { deliverability: i.deliverability }) })) },
      text: row.text,
      html: row.html,
      subject: typeof meta.subject === 'string' ? meta.subject : conv.subject,
      ...(typeof meta.subject === 'string' && { subjectExact: true }),
      inReplyTo: parent?.provider_message_id ?? null,
      parent: parent?.provider_message_id ? { providerMessageId: parent.provider_message_id, metadata: parent.metadata } : null,
      attachments: files.map((f) => ({ filename: f.filename, contentType: f.content_type, blobKey: f.blob_key, size: Number(f.size) })),
      ...(meta.automatic === true && { automatic: true }),
      metadata: row.metadata,
    }
    // Consent withdrawn between the reply and its send (the customer replied STOP meanwhile): not sent.
    const consent = await deps.contacts.findConsentInTx(trx, ws, conv.contact_id, row.channel)
    return { row, conv, inboxId: row.inbox_id, outbound, consentWithdrawn: consent?.status === 'withdrawn', adapter: await deps.inboxes.adapterForInTx(trx, ws, row.inbox_id) }
  }

  async function record(ws: string, conv: { id: string; contact_id: string }, messageId: string, status: DeliveryStatus, error: string | null, providerMessageId: string | null, details?: Record<string, unknown>) {
    const system = systemActor(ws, 'channel delivery')
    const write = (withProviderId: boolean) =>
      p.tx(system, async (trx) => {
        await messages.updateDelivery(trx, ws, messageId, { delivery_status: status, delivery_error: error, ...(withProviderId && providerMessageId && { provider_message_id: providerMessageId }) })
        await emit(trx, system, conv, 'message.delivery-updated', { messageId, status, error, providerMessageId, ...(details && { details }) })
      })
    try {
      await write(true)
    } catch (err) {
      // The message left already; a provider id clashing with an inbound one must not lose its status.
      if (!isUniqueViolation(err)) throw err
      p.logger.warn({ messageId, providerMessageId }, 'provider message id already used in this inbox; kept delivery status without it')
      await write(false)
    }
  }

  /** One delivery attempt: the worker of DELIVERY_QUEUE. */
  async function attempt(data: DeliveryJob, job: JobInfo): Promise<void> {
    const ws = data.workspaceId
    const prepared = await p.tx(ws, (trx) => prepare(trx, ws, data.messageId))
    if (!prepared) return // sent, failed or gone: a repeated job does nothing
    const { conv, inboxId, outbound, adapter } = prepared
    let result: SendResult
    try {
      result = prepared.consentWithdrawn
        ? { ok: false, retryable: false, code: 'CONSENT_WITHDRAWN', message: `the contact withdrew consent to ${prepared.row.channel} messages before this one was sent` }
        : await breakers.send(inboxId, () => adapter.send(outbound))
    } catch (err) {
      // Adapters report provider failures as results; a throw is a bug or a misconfiguration.
      p.logger.error({ err, messageId: outbound.messageId }, 'channel adapter threw while sending')
      result = { ok: false, retryable: false, code: 'ADAPTER_ERROR', message: err instanceof Error ? err.message : String(err) }
    }
    // A message re-enqueued to honour a Retry-After carries the attempts made before.
    const attempts = (data.priorAttempts ?? 0) + job.retryCount + 1
    if (result.ok) return record(ws, conv, outbound.messageId, 'sent', null, result.externalId)
    if (result.notDelivered) return record(ws, conv, outbound.messageId, 'not_delivered', result.message.slice(0, 2000), null)
    const reason = `${result.code}: ${result.message}`
    if (result.retryable && job.retryCount < job.retryLimit) {
      const wait = result.retryAfterSeconds
      await record(ws, conv, outbound.messageId, 'deferred', `${reason} (attempt ${attempts}; will retry${wait ? ` in ${wait} s or later, as the provider asked` : ''})`.slice(0, 2000), null)
      // pg-boss waits at least retryDelay × 2^retryCount before the next try; it cannot be told a longer
      // wait per failure. When the provider asks for more, this run ends and the message's next attempt
      // is a new job starting no earlier than asked, with the retries that were left.
      if (wait !== undefined && wait > config.outboundRetryDelaySeconds * 2 ** job.retryCount) {
        const next: DeliveryJob = { ...data, priorAttempts: attempts }
        await p.jobs.send(DELIVERY_QUEUE, next, { startAfterSeconds: wait, retryLimit: job.retryLimit - job.retryCount - 1, retryDelaySeconds: config.outboundRetryDelaySeconds, retryBackoff: true })
        return
      }
      throw new DeferredDelivery(reason)
    }
    const suffix = result.retryable ? ` (gave up after ${attempts} attempts)` : ''
    await record(ws, conv, outbound.messageId, 'failed', `${reason.slice(0, 1900)}${suffix}`, null, result.details)
  }

  return {
    listeners: [enqueueDeliveryListener(p.jobs, config)],
    /** Starts the worker; the job queue must be started. */
    async start(): Promise<void> {
      await p.jobs.work<DeliveryJob>(DELIVERY_QUEUE, attempt)
    },
    breakers,
  }
}
