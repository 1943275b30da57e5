import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { sql } from 'kysely'
import { z } from 'zod'
import { type Actor, authorize } from '../platform/auth/actor.ts'
import type { Row } from '../platform/db/schema.ts'
import type { Tx } from '../platform/db/tenant.ts'
import { notFound } from '../platform/errors.ts'
import { commonErrors, idParam } from '../platform/http/schemas.ts'
import type { Listener } from '../platform/events/events.ts'
import type { Platform } from '../platform/platform.ts'

/**
 * Channel health, per inbox, for every channel: recent send outcomes (from
 * the delivery job's `message.delivery-updated` events), webhook arrivals
 * and refusals (recorded by each channel's webhook), and the provider's last
 * error. Stored in `inbox_health` (so every node sees the same), and turned
 * into a state when read:
 *
 * - `down`: the last `failuresToDown` sends in a row failed temporarily (the
 *   delivery circuit breaker opens at the same count, OUTBOUND_BREAKER_FAILURES);
 * - `degraded`: a send failed temporarily since the last success; or
 *   webhooks were refused for a bad signature in the last 15 minutes with
 *   none accepted since (a wrong auth token or URL);
 * - `healthy`: otherwise.
 */

export const healthStates = ['healthy', 'degraded', 'down'] as const
export type HealthState = (typeof healthStates)[number]

const RECENT_MS = 15 * 60 * 1000

export const inboxHealthSchema = z
  .object({
    inboxId: z.uuid(),
    state: z.enum(healthStates),
    reasons: z.array(z.string()).describe('Why the state is what it is, for people'),
    consecutiveFailures: z.number().int(),
    lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
    lastSuccessAt: z.string().nullable(),
    lastFailureAt: z.string().nullable(),
    lastWebhookAt: z.string().nullable(),
    lastWebhookRejectedAt: z.string().nullable(),
  })
  .meta({ id: 'InboxHealth' })
export type InboxHealth = z.infer<typeof inboxHealthSchema>

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

/** The state of one inbox from its record (none yet: healthy, nothing known). Pure. */
export function computeHealth(inboxId: string, row: Row<'inbox_health'> | undefined, opts: { failuresToDown: number; now?: Date }): InboxHealth {
  const now = (opts.now ?? new Date()).getTime()
  const reasons: string[] = []
  let state: HealthState = 'healthy'
  const failures = row?.consecutive_failures ?? 0
  if (row && failures >= opts.failuresToDown) {
    state = 'down'
    reasons.push(`the last ${failures} sends failed temporarily (${row.last_error_code ?? 'error'}); sending is paused by the circuit breaker and retried`)
  } else if (row && failures > 0) {
    state = 'degraded'
    reasons.push(`${failures} send${failures === 1 ? '' : 's'} in a row failed temporarily (${row.last_error_code ?? 'error'}); they are retried`)
  }
  const rejected = row?.last_webhook_rejected_at?.getTime()
  if (rejected && now - rejected < RECENT_MS && (!row?.last_webhook_at || row.last_webhook_at.getTime() < rejected)) {
    if (state === 'healthy') state = 'degraded'
    reasons.push('webhooks were refused for a bad signature and none was accepted since: check the auth token and the webhook URL (PUBLIC_URL) configured at the provider')
  }
  if (reasons.length === 0) reasons.push(row?.last_success_at || row?.last_webhook_at ? 'recent sends and webhooks succeeded' : 'no sends or webhooks so far')
  return {
    inboxId,
    state,
    reasons,
    consecutiveFailures: failures,
    lastError: row?.last_error_code && row.last_error_at ? { code: row.last_error_code, message: row.last_error_message ?? '', at: row.last_error_at.toISOString() } : null,
    lastSuccessAt: iso(row?.last_success_at),
    lastFailureAt: iso(row?.last_failure_at),
    lastWebhookAt: iso(row?.last_webhook_at),
    lastWebhookRejectedAt: iso(row?.last_webhook_rejected_at),
  }
}

/**
 * What one send came to, for health: `ok`; a temporary failure of the channel
 * (`channelFault`: timeouts, 5xx, rate limits, an open breaker); or a refusal
 * of this one message (bad number, consent withdrawn), which is the last
 * error but says nothing about the channel.
 */
export type SendOutcome = { ok: true } | { ok: false; code: string; message: string; channelFault: boolean }

export async function recordSendOutcome(trx: Tx, workspaceId: string, inboxId: string, outcome: SendOutcome): Promise<void> {
  const base = { workspace_id: workspaceId, inbox_id: inboxId }
  if (outcome.ok) {
    await trx
      .insertInto('inbox_health')
      .values({ ...base, consecutive_failures: 0, last_success_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .onConflict((oc) => oc.column('inbox_id').doUpdateSet({ consecutive_failures: 0, last_success_at: sql<Date>`now()`, updated_at: sql<Date>`now()` }))
      .execute()
    return
  }
  const error = { last_error_code: outcome.code.slice(0, 100), last_error_message: outcome.message.slice(0, 1000), last_error_at: sql<Date>`now()`, updated_at: sql<Date>`now()` }
  const fault = outcome.channelFault ? { last_failure_at: sql<Date>`now()` } : {}
  await trx
    .insertInto('inbox_health')
    .values({ ...base, ...error, ...fault, consecutive_failures: outcome.channelFault ? 1 : 0 })
    .onConflict((oc) =>
      oc.column('inbox_id').doUpdateSet({ ...error, ...fault, ...(outcome.channelFault && { consecutive_failures: sql<number>`inbox_health.consecutive_failures + 1` }) }),
    )
    .execute()
}

/** A webhook arrived for the inbox: accepted (signature good) or refused (bad signature). */
export async function recordWebhook(trx: Tx, workspaceId: string, inboxId: string, accepted: boolean): Promise<void> {
  const set = accepted ? { last_webhook_at: sql<Date>`now()`, updated_at: sql<Date>`now()` } : { last_webhook_rejected_at: sql<Date>`now()`, updated_at: sql<Date>`now()` }
  await trx
    .insertInto('inbox_health')
    .values({ workspace_id: workspaceId, inbox_id: inboxId, ...set })
    .onConflict((oc) => oc.column('inbox_id').doUpdateSet(set))
    .execute()
}

/**
 * Records webhook arrivals at most once per `intervalMs` per inbox and kind,
 * so a burst of webhooks (or of forgeries) costs one write, not one per request.
 */
export function webhookRecorder(p: Pick<Platform, 'tx' | 'logger'>, intervalMs = 5000) {
  const last = new Map<string, number>()
  return async (workspaceId: string, inboxId: string, accepted: boolean): Promise<void> => {
    const key = `${inboxId}:${accepted}`
    const now = Date.now()
    if (now - (last.get(key) ?? 0) < intervalMs) return
    last.set(key, now)
    if (last.size > 10_000) last.clear()
    await p.tx(workspaceId, (trx) => recordWebhook(trx, workspaceId, inboxId, accepted)).catch((err: unknown) => p.logger.warn({ err, inboxId }, 'could not record a webhook arrival for channel health'))
  }
}
export type WebhookRecorder = ReturnType<typeof webhookRecorder>

// Codes of failures that say the channel (not one message) is in trouble.
const channelFaultCodes = /^(CIRCUIT_OPEN|PROVIDER_(UNAVAILABLE|TIMEOUT|UNREACHABLE|RATE_LIMITED|BAD_RESPONSE|AUTH_FAILED)|SMTP_(TEMPORARY_FAILURE|CONNECTION_FAILED|AUTH_FAILED))\b/

/**
 * Turns the delivery job's outcomes into health records, for every channel:
 * sent/delivered are successes, deferred (and a send that gave up) are the
 * channel's faults, other failures are the last error only.
 */
export function healthListener(): Listener {
  return {
    id: 'channels.health-record-send',
    types: ['message.delivery-updated'],
    async handle(event, trx) {
      const payload = event.payload as { messageId: string; status: string; error: string | null; details?: { source?: string } }
      // A provider's later report on one message (undelivered to a handset) says nothing about the channel.
      if (payload.details?.source === 'provider-callback') return
      const msg = await trx.selectFrom('messages').select('inbox_id').where('workspace_id', '=', event.workspaceId).where('id', '=', payload.messageId).executeTakeFirst()
      if (!msg?.inbox_id) return
      if (payload.status === 'sent' || payload.status === 'delivered') return recordSendOutcome(trx, event.workspaceId, msg.inbox_id, { ok: true })
      if (payload.status !== 'deferred' && payload.status !== 'failed') return
      const error = payload.error ?? ''
      const code = /^([A-Z][A-Z0-9_]+):/.exec(error)?.[1] ?? 'SEND_FAILED'
      const channelFault = payload.status === 'deferred' || channelFaultCodes.test(code)
      await recordSendOutcome(trx, event.workspaceId, msg.inbox_id, { ok: false, code, message: error.slice(code.length + 1).trim() || error, channelFault })
    },
  }
}

/** Reads one inbox's health (404 for an inbox of another workspace). */
export function createHealthService(p: Platform, deps: { inboxes: { getInTx(trx: Tx, workspaceId: string, id: string): Promise<{ id: string } | null> } }) {
  return {
    async get(actor: Actor, inboxId: string): Promise<InboxHealth> {
      authorize(actor, 'inboxes:read')
      return p.tx(actor, async (trx) => {
        const inbox = await deps.inboxes.getInTx(trx, actor.workspaceId, inboxId)
        if (!inbox) throw notFound('Inbox')
        const row = await trx.selectFrom('inbox_health').selectAll().where('workspace_id', '=', actor.workspaceId).where('inbox_id', '=', inboxId).executeTakeFirst()
        return computeHealth(inboxId, row, { failuresToDown: p.config.outboundBreakerFailures })
      })
    },
  }
}
export type HealthService = ReturnType<typeof createHealthService>

/** `GET /inboxes/{id}/health` (registered under /api/v1). */
export function healthRoutes(service: HealthService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/inboxes/:id/health',
      {
        schema: {
          tags: ['Inboxes'],
          summary: "An inbox's channel health: healthy, degraded or down, why, and the last error",
          params: idParam,
          response: { 200: inboxHealthSchema, ...commonErrors },
        },
      },
      async (req) => service.get(req.actor, req.params.id),
    )
  }
}
