import { after } from 'node:test'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer, type SMTPServerAddress } from 'smtp-server'

/** Shared by the outbound tests (not a test file itself). */

export interface RelayAttempt {
  to: string
  /** The reply given to RCPT TO: 250, or the refusal's code. */
  code: number
}

/**
 * A real SMTP server standing in for the outbound relay. `refuse(to)` decides
 * per RCPT TO: null accepts, a number refuses with that code (451, 550…).
 * Accepted mail is parsed with mailparser into `received`. With `auth`, it
 * requires those credentials (over plain text: a loopback test).
 */
export async function startRelay(opts: { auth?: { user: string; pass: string } } = {}) {
  const received: Array<{ to: string[]; mail: ParsedMail; raw: Buffer }> = []
  const attempts: RelayAttempt[] = []
  const logins: string[] = []
  const state = { refuse: (_to: string): number | null => null }
  const server = new SMTPServer({
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      logins.push(auth.username ?? '')
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username })
      cb(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }))
    },
    onRcptTo(address: SMTPServerAddress, _session, cb) {
      const code = state.refuse(address.address)
      attempts.push({ to: address.address, code: code ?? 250 })
      if (code === null) return cb()
      cb(Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code }))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks)
        simpleParser(raw)
          .then((mail) => {
            received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail, raw })
            cb()
          })
          .catch((err: Error) => cb(err))
      })
    },
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port))
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return {
    port,
    received,
    attempts,
    logins,
    /** Sets how RCPT TO is answered from now on. */
    refuseWith(fn: (to: string) => number | null) {
      state.refuse = fn
    },
    /** Mail received for one recipient. */
    mailTo: (to: string) => received.filter((r) => r.to.includes(to)).map((r) => r.mail),
    attemptsFor: (to: string) => attempts.filter((a) => a.to === to),
  }
}
