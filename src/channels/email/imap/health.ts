import { systemActor } from '../../../platform/auth/actor.ts'
import { appendEvent } from '../../../platform/events/events.ts'
import type { Platform } from '../../../platform/platform.ts'
import * as repo from './checkpoints.repository.ts'
import type { Mailbox } from './imap.types.ts'

export interface HealthOptions {
  /** Wait after a refused login (slow: a server that locks accounts must not be hammered). */
  authRetryMs: number
  /** First wait after another failure; doubles per consecutive failure up to `backoffMaxMs`. */
  backoffBaseMs?: number
  backoffMaxMs?: number
}

/** What imapflow puts on its errors; all optional, the rest of the error is ignored. */
interface ImapError {
  message?: string
  code?: string
  responseText?: string
  serverResponseCode?: string
  authenticationFailed?: boolean
}

/** A refused login (imapflow sets `authenticationFailed`; some servers only answer AUTHENTICATIONFAILED). */
export function isAuthFailure(err: unknown): boolean {
  const e = (err ?? {}) as ImapError
  return e.authenticationFailed === true || e.serverResponseCode === 'AUTHENTICATIONFAILED'
}

/**
 * A failure in words for people and logs. Built from a few known fields only:
 * imapflow's error also carries the command it ran, which for LOGIN would hold
 * the password. The password is masked even if a server echoes it.
 */
export function describeError(err: unknown, password: string | null): string {
  const e = (err ?? {}) as ImapError
  let text = e.message || String(err)
  if (e.responseText && !text.includes(e.responseText)) text += `: ${e.responseText}`
  const code = e.serverResponseCode ?? e.code
  if (code && !text.includes(code)) text += ` (${code})`
  if (isAuthFailure(err)) text = `the IMAP server refused the login: ${text}`
  if (password && password.length >= 3) text = text.split(password).join('[redacted]')
  return text.slice(0, 1000)
}

/**
 * Records what the poller sees of each mailbox and decides when to try again.
 * The transition into auth_failed is the alert: an `email.mailbox-auth-failed`
 * event (in the same transaction as the status) and an error log line; repeats
 * while it stays refused only log a warning. The way back to ok emits
 * `email.mailbox-recovered`.
 */
export function createHealthRecorder(deps: Pick<Platform, 'tx' | 'logger'>, opts: HealthOptions) {
  const base = opts.backoffBaseMs ?? 5000
  const max = opts.backoffMaxMs ?? 15 * 60_000
  const log = deps.logger.child({ component: 'imap' })

  return {
    /** A sync of every folder completed. */
    async success(m: Mailbox): Promise<void> {
      const now = new Date()
      const before = await deps.tx(m.workspaceId, async (trx) => {
        const prev = await repo.findHealth(trx, m.workspaceId, m.inboxId, { forUpdate: true })
        await repo.saveHealth(trx, m.workspaceId, m.inboxId, { status: 'ok', lastSuccessAt: now, lastAttemptAt: now, consecutiveFailures: 0, nextAttemptAt: null })
        if (prev && prev.status !== 'ok')
          await appendEvent(trx, systemActor(m.workspaceId, 'imap'), {
            type: 'email.mailbox-recovered',
            payload: { inboxId: m.inboxId, host: m.host, user: m.user, previousStatus: prev.status, failures: prev.consecutive_failures },
          })
        return prev
      })
      if (before && before.status !== 'ok') log.info({ inboxId: m.inboxId, workspaceId: m.workspaceId, host: m.host }, 'IMAP mailbox recovered')
    },

    /** A connection or sync failed: records it and returns how long to wait before the next attempt. */
    async failure(m: Mailbox, err: unknown): Promise<number> {
      const auth = isAuthFailure(err)
      const message = describeError(err, m.password)
      const now = new Date()
      const { failures, alerted, wait } = await deps.tx(m.workspaceId, async (trx) => {
        const prev = await repo.findHealth(trx, m.workspaceId, m.inboxId, { forUpdate: true })
        const failures = (prev?.consecutive_failures ?? 0) + 1
        const wait = auth ? opts.authRetryMs : Math.min(max, base * 2 ** Math.min(failures - 1, 20))
        await repo.saveHealth(trx, m.workspaceId, m.inboxId, {
          status: auth ? 'auth_failed' : 'failing',
          lastAttemptAt: now,
          lastError: message,
          lastErrorAt: now,
          consecutiveFailures: failures,
          nextAttemptAt: new Date(now.getTime() + wait),
        })
        const alerted = auth && prev?.status !== 'auth_failed'
        if (alerted)
          await appendEvent(trx, systemActor(m.workspaceId, 'imap'), {
            type: 'email.mailbox-auth-failed',
            payload: { inboxId: m.inboxId, host: m.host, user: m.user, error: message.slice(0, 500) },
          })
        return { failures, alerted, wait }
      })
      const fields = { inboxId: m.inboxId, workspaceId: m.workspaceId, host: m.host, port: m.port, user: m.user, failures, error: message }
      if (alerted) log.error(fields, 'IMAP login refused: check the mailbox user and password (or app password); retrying slowly')
      else log.warn(fields, auth ? 'IMAP login still refused' : 'IMAP mailbox failed; will retry')
      return wait
    },
  }
}
export type HealthRecorder = ReturnType<typeof createHealthRecorder>
