import { timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import type { Logger } from '../../platform/observability/logger.ts'
import type { RecipientInbox } from './email.repository.ts'
import type { InboundStore } from './inbound-store.ts'

export interface SmtpInboundOptions {
  /** Largest message in bytes: larger ones get 552. */
  maxSize: number
  /** PEM certificate and key: STARTTLS is offered when set. */
  tls?: { cert: Buffer; key: Buffer } | undefined
  /** When set, clients must authenticate (a forwarding relay); otherwise AUTH is not offered. */
  auth?: { user: string; password: string } | undefined
  /** Host name in the greeting. */
  name?: string | undefined
}

/** An SMTP reply error: smtp-server sends `responseCode` and the message. */
function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code })
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The inbound SMTP server: accepts mail only for active email inboxes (550
 * otherwise, never an open relay), and answers 250 only after the raw message
 * and its rows are durable (451 if storing failed, so the sender retries).
 */
export function createSmtpInbound(store: InboundStore, opts: SmtpInboundOptions, logger: Logger) {
  let server: SMTPServer | null = null

  // What RCPT resolved, per session and address: DATA stores for those inboxes without looking them
  // up again (the store's insert checks each is still active, in the same statement), and a later
  // message of the same session (a sender's connection delivering several) to an address already
  // resolved is not looked up again either: one statement per message fewer. `reused`: the
  // envelopes (one per message) that took an inbox resolved for an earlier message.
  const resolved = new WeakMap<object, Map<string, RecipientInbox>>()
  const reused = new WeakSet<object>()
  const recipientsOf = async (session: object, addresses: string[]): Promise<RecipientInbox[]> => {
    const known = resolved.get(session)
    const found = await Promise.all(addresses.map((a) => known?.get(a) ?? store.resolveRecipient(a)))
    return found.filter((r): r is RecipientInbox => r !== null && r !== undefined)
  }

  const options: SMTPServerOptions = {
    name: opts.name,
    banner: 'Omnidesk inbound mail',
    size: opts.maxSize,
    logger: false,
    // Shutdown must finish well within main.ts's 10 s budget.
    closeTimeout: 3000,
    disableReverseLookup: true,
    secure: false,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : { hideSTARTTLS: true }),
    disabledCommands: [...(opts.tls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    authOptional: !opts.auth,
    // Without TLS a relay can still authenticate (e.g. on a private network).
    allowInsecureAuth: !opts.tls,
    onAuth(auth, _session, callback) {
      const ok = opts.auth && auth.username !== undefined && sameSecret(auth.username, opts.auth.user) && sameSecret(auth.password ?? '', opts.auth.password)
      if (!ok) return callback(smtpError(535, 'Authentication failed'))
      callback(null, { user: auth.username })
    },
    onRcptTo(address, session, callback) {
      if (resolved.get(session)?.has(address.address)) {
        reused.add(session.envelope)
        return callback(null)
      }
      store.resolveRecipient(address.address).then(
        (inbox) => {
          if (!inbox) return callback(smtpError(550, `<${address.address}>: no such mailbox here`))
          const known = resolved.get(session) ?? new Map<string, RecipientInbox>()
          known.set(address.address, inbox)
          resolved.set(session, known)
          callback(null)
        },
        (err: unknown) => {
          logger.error({ err }, 'inbound SMTP: recipient lookup failed')
          callback(smtpError(451, 'Temporary failure looking up the recipient; try again later'))
        },
      )
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      let kept = 0
      stream.on('data', (chunk: Buffer) => {
        // Past the limit, keep reading (the client is still sending) but stop buffering.
        if (kept + chunk.length <= opts.maxSize) {
          chunks.push(chunk)
          kept += chunk.length
        }
      })
      stream.once('error', (err) => {
        logger.warn({ err }, 'inbound SMTP: data stream failed')
        callback(smtpError(451, 'Error reading the message; try again later'))
      })
      stream.once('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, `Message exceeds the maximum size of ${opts.maxSize} bytes`))
        const raw = Buffer.concat(chunks)
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address)
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : null
        recipientsOf(session, envelopeTo)
          .then(async (inboxes) => {
            const result = await store.store({ raw, envelopeFrom, envelopeTo, inboxes })
            const stale = reused.has(session.envelope) && result.inactive > 0
            // An inbox this session resolved earlier is gone: look every address up again for the next message.
            if (stale) resolved.delete(session)
            if (result.stored.length === 0 && result.duplicates === 0) {
              // The address may belong to another inbox by now (deleted and made again): the sender retries, and is looked up afresh.
              if (stale) return callback(smtpError(451, 'The recipient changed since this connection looked it up; try again'))
              // Every inbox deactivated between RCPT and DATA: nobody left to deliver to.
              return callback(smtpError(550, 'No such mailbox here'))
            }
            callback(null, result.stored.length > 0 ? `Message stored (${result.stored.length})` : 'Message already received')
          })
          .catch((err: unknown) => {
            logger.error({ err }, 'inbound SMTP: could not store a message; answered 451')
            callback(smtpError(451, 'Local error storing the message; try again later'))
          })
      })
    },
  }

  return {
    /** Starts listening; resolves with the bound address (port 0 picks a free port). */
    listen(port: number, host: string): Promise<{ host: string; port: number }> {
      if (server) throw new Error('The SMTP server is already listening')
      const s = new SMTPServer(options)
      s.on('error', (err) => logger.warn({ err }, 'inbound SMTP error'))
      server = s
      return new Promise((resolve, reject) => {
        s.server.once('error', reject)
        s.listen(port, host, () => {
          s.server.off('error', reject)
          const a = s.server.address() as AddressInfo
          resolve({ host: a.address, port: a.port })
        })
      })
    },
    /** Stops accepting connections; open sessions get a short grace period. Safe to call twice. */
    close(): Promise<void> {
      const s = server
      server = null
      if (!s) return Promise.resolve()
      return new Promise((resolve) => s.close(() => resolve()))
    },
    get listening(): boolean {
      return server !== null
    },
  }
}
export type SmtpInbound = ReturnType<typeof createSmtpInbound>
