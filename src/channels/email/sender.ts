import type { SendMailOptions } from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js'
import type { SendResult } from '../channel.ts'

/**
 * The SMTP half of the email adapter: which relay a mail leaves through, and
 * what the relay's answer means for delivery. Nothing here knows about
 * conversations; adapter.ts composes the mail.
 */

/** An inbox's own relay, as validated by smtpSettingsSchema (password already decrypted). */
export interface SmtpRelay {
  host: string
  port: number
  secure: boolean
  user?: string | undefined
  password?: string | undefined
}

// Bounded waits: a relay that accepts the connection and then stalls must not
// keep a delivery job past its expiry. Retries are the job queue's business.
const timeouts = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 }

/**
 * Transport options for the inbox's relay, else the instance's
 * OUTBOUND_SMTP_URL (`smtp://user:pass@host:port`, or `smtps://` for TLS from
 * the start); null when neither is set. On a plain port nodemailer upgrades
 * with STARTTLS whenever the server offers it.
 */
export function relayOptions(inboxRelay: SmtpRelay | undefined, instanceUrl: string | undefined): SMTPTransport.Options | null {
  if (inboxRelay) {
    return {
      host: inboxRelay.host,
      port: inboxRelay.port,
      secure: inboxRelay.secure,
      ...(inboxRelay.user && { auth: { user: inboxRelay.user, pass: inboxRelay.password ?? '' } }),
      ...timeouts,
    }
  }
  if (!instanceUrl) return null
  const url = new URL(instanceUrl)
  const secure = url.protocol === 'smtps:'
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username && { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
    ...timeouts,
  }
}

// Network-level failures nodemailer reports without an SMTP reply: worth trying again.
const transientCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

/**
 * What a nodemailer failure means: a 4xx reply or a network failure is
 * temporary (`retryable`), a 5xx reply is a refusal. Errors that are neither
 * (a bug in building the mail) are permanent: repeating them changes nothing.
 */
export function classifySmtpError(err: unknown): Extract<SendResult, { ok: false }> {
  const e = err as { responseCode?: number; code?: string; message?: string; response?: string }
  const message = (e.response ?? e.message ?? String(err)).slice(0, 1000)
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 400 && e.responseCode < 500) return { ok: false, retryable: true, code: 'SMTP_TEMPORARY_FAILURE', message }
    if (e.responseCode >= 500) return { ok: false, retryable: false, code: 'SMTP_REJECTED', message }
  }
  if (e.code && transientCodes.has(e.code)) return { ok: false, retryable: true, code: 'SMTP_CONNECTION_FAILED', message }
  if (e.code === 'EAUTH') return { ok: false, retryable: false, code: 'SMTP_AUTH_FAILED', message }
  return { ok: false, retryable: false, code: 'SMTP_ERROR', message }
}

/** Sends one composed mail through one relay; never throws. */
export async function sendMail(options: SMTPTransport.Options, mail: SendMailOptions): Promise<SendResult> {
  // One transport per send, closed after: the adapter is a short-lived value (see ChannelAdapter).
  // Loaded on first send: nodemailer is not needed to start serving.
  const { default: nodemailer } = await import('nodemailer')
  const transport = nodemailer.createTransport(options)
  try {
    const info = await transport.sendMail(mail)
    if (info.rejected.length > 0 && info.accepted.length === 0) return { ok: false, retryable: false, code: 'SMTP_REJECTED', message: `recipient refused: ${info.response}` }
    // Our own Message-ID when the mail set one (it always does), so threading does not depend on the relay.
    return { ok: true, externalId: typeof mail.messageId === 'string' ? mail.messageId : info.messageId }
  } catch (err) {
    return classifySmtpError(err)
  } finally {
    transport.close()
  }
}
