import type { Logger } from 'pino'
import type { Tx } from '../../platform/db/tenant.ts'
import type { JobInfo } from '../../platform/jobs/jobs.ts'
import type { Platform } from '../../platform/platform.ts'
import { generateMessageId, OWN_LOOP_HEADER, relayOptions, sendMail, type SmtpRelay } from '../../channels/email/index.ts'
import { openSecrets } from '../inboxes/index.ts'
import * as deliveries from './deliveries.repository.ts'

/** Durable email jobs: one per notification delivery. */
export const NOTIFICATION_EMAIL_QUEUE = 'notification-email'
export interface NotificationEmailJob {
  workspaceId: string
  deliveryId: string
}

/** The delivery's id is its job's id: enqueueing it again (at start) while its job exists adds nothing, so a mail goes once. */
const jobOptions = (deliveryId: string) => ({ id: deliveryId, retryLimit: 5, retryDelaySeconds: 5 })

interface EmailInboxConfig {
  address?: string
  displayName?: string
  smtp?: Omit<SmtpRelay, 'password'>
}

/**
 * Sends notifications by email. A delivery row is written with the in-app
 * notification (same transaction) and a job enqueued; the job sends through
 * the email inbox's relay (or the instance's OUTBOUND_SMTP_URL), from that
 * inbox's address. Without an email inbox or any relay, the delivery is
 * recorded `not_sent` with the reason and a warning is logged: the in-app
 * notification stands either way.
 */
export function createNotificationEmail(p: Platform) {
  const log: Logger = p.logger.child({ component: 'notification-email' })
  let workerReady = false

  /** Records the email delivery of a new notification and enqueues its job (in the notification's transaction). */
  async function queueInTx(trx: Tx, ws: string, notificationId: string, recipient: string | null): Promise<void> {
    const row = await deliveries.insertDelivery(trx, ws, notificationId, recipient)
    // Without the job worker (a test that did not start jobs, a CLI) the row stays queued: start() picks it up.
    if (row && workerReady) await p.jobs.sendInTx(trx, NOTIFICATION_EMAIL_QUEUE, { workspaceId: ws, deliveryId: row.id } satisfies NotificationEmailJob, jobOptions(row.id))
  }

  const notSent = (trx: Tx, ws: string, id: string, why: string, extra: Record<string, unknown>) => {
    log.warn({ workspaceId: ws, deliveryId: id, ...extra }, `notification email not sent: ${why}`)
    return deliveries.settleDelivery(trx, ws, id, { status: 'not_sent', detail: why })
  }

  /** The job: sends one delivery, at least once; a sent or settled delivery is left alone. */
  async function send(job: NotificationEmailJob, info?: JobInfo): Promise<void> {
    const ws = job.workspaceId
    const prepared = await p.tx(ws, async (trx) => {
      const d = await deliveries.findDelivery(trx, ws, job.deliveryId)
      if (!d || d.status !== 'queued') return null
      const ctx = await deliveries.emailContext(trx, ws, d.notification_id)
      if (!ctx || !ctx.notification.active) return void (await notSent(trx, ws, d.id, 'the recipient is no longer an active user', {}))
      if (!ctx.inbox) return void (await notSent(trx, ws, d.id, 'the workspace has no active email inbox to send from', { notificationId: d.notification_id }))
      const config = ctx.inbox.config as EmailInboxConfig
      const secrets = openSecrets(p.box, ctx.inbox.secrets) as { smtp?: { password?: string } }
      const relay = relayOptions(config.smtp ? { ...config.smtp, password: secrets.smtp?.password } : undefined, p.config.outboundSmtpUrl)
      if (!relay || !config.address)
        return void (await notSent(trx, ws, d.id, `no outbound server: email inbox ${ctx.inbox.id} has no smtp relay and OUTBOUND_SMTP_URL is not set`, { inboxId: ctx.inbox.id }))
      return { delivery: d, ctx, config: config as EmailInboxConfig & { address: string }, relay }
    })
    if (!prepared) return
    const { delivery, ctx, config, relay } = prepared
    const n = ctx.notification
    const domain = config.address.slice(config.address.lastIndexOf('@') + 1)
    const title = n.number !== null ? `#${n.number}${n.subject ? ` ${n.subject}` : ''}` : 'Omnidesk'
    const link = n.conversation_id && p.config.publicUrl ? `\n\n${new URL(`/conversations/${n.conversation_id}`, p.config.publicUrl).toString()}` : ''
    const result = await sendMail(relay, {
      messageId: generateMessageId(domain, `notification-${delivery.id}`),
      from: config.displayName ? { name: config.displayName, address: config.address } : config.address,
      to: n.name ? { name: n.name, address: n.email } : n.email,
      subject: `[Omnidesk] ${n.kind === 'sla_escalation' ? 'SLA escalation: ' : ''}${title}`,
      // Automatic mail: other robots (out-of-office replies) must not answer it; our own inbound path recognises the loop header.
      headers: { [OWN_LOOP_HEADER]: domain, 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
      text: `${n.text}${link}\n`,
    })
    const last = !info || info.retryCount >= info.retryLimit
    await p.tx(ws, async (trx) => {
      if (result.ok) return deliveries.settleDelivery(trx, ws, delivery.id, { status: 'sent', detail: null, providerMessageId: result.externalId, attempted: true })
      const detail = `${result.code}: ${result.message ?? ''}`.trim()
      if (result.retryable && !last) return deliveries.settleDelivery(trx, ws, delivery.id, { status: 'queued', detail, attempted: true })
      log.warn({ workspaceId: ws, deliveryId: delivery.id, code: result.code }, 'notification email failed')
      return deliveries.settleDelivery(trx, ws, delivery.id, { status: 'failed', detail, attempted: true })
    })
    // A temporary failure: the job queue tries again later.
    if (!result.ok && result.retryable && !last) throw new Error(`notification email: ${result.code}`)
  }

  return {
    queueInTx,
    send,
    async start(): Promise<void> {
      await p.jobs.work<NotificationEmailJob>(NOTIFICATION_EMAIL_QUEUE, (job, info) => send(job, info))
      workerReady = true
      // Deliveries written while no worker ran (or whose job was lost): send them now.
      for (const d of await deliveries.queuedDeliveries(p.db, 500))
        await p.jobs.send(NOTIFICATION_EMAIL_QUEUE, { workspaceId: d.workspace_id, deliveryId: d.id } satisfies NotificationEmailJob, jobOptions(d.id))
    },
  }
}
export type NotificationEmail = ReturnType<typeof createNotificationEmail>
