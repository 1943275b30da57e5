import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import nodemailer, { type SendMailOptions } from 'nodemailer'
import { SMTPServer } from 'smtp-server'
import { countAll, http, type Measurement, sleep, workspace } from './lib.ts'

export interface SmtpBenchOptions {
  base: string
  adminToken: string
  /** Port of Omnidesk's own SMTP server (in this process). */
  smtpPort: number
  rounds: number
  /** Messages per round, for each side. */
  messages: number
  connections: number
  /** Give up on a round after this long (a stuck pipeline must not hang the run). */
  timeoutMs: number
}

const BODY = `${'Hello support team,\n\nI was charged twice for my subscription this month. Could you refund one of the two payments?\n\n'.repeat(8)}Best regards,\nA customer\n`

const mail = (tag: string, i: number, to: string) => ({
  from: `Customer ${i} <customer-${tag}-${i}@sender.example>`,
  to,
  subject: `Charged twice (${tag} #${i})`,
  text: BODY,
  messageId: `<bench-${tag}-${i}@sender.example>`,
})

/** Sends `count` messages over a pool of `connections` SMTP connections; resolves when all got their 250. */
async function sendAll(port: number, count: number, connections: number, make: (i: number) => SendMailOptions): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: connections, maxMessages: Infinity })
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => transport.sendMail(make(i))))
  } finally {
    transport.close()
  }
}

/** smtp-server + mailparser with no storage: the floor of any SMTP intake written on these libraries. */
async function rawServer(): Promise<{ port: number; close: () => Promise<void>; parsed: () => number }> {
  let parsed = 0
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hideSTARTTLS: true,
    disableReverseLookup: true,
    size: 25 * 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        () => {
          parsed++
          callback()
        },
        (err: Error) => callback(err),
      )
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.server.address() as AddressInfo
  return { port, parsed: () => parsed, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

/**
 * Inbound SMTP end to end: nodemailer → Omnidesk's SMTP server (stored before
 * 250) → processor → conversation, timed until every conversation is listed
 * by GET /api/v1/conversations; against nodemailer → smtp-server + mailparser
 * with no storage, timed until every message was parsed and acknowledged.
 */
export async function benchSmtp(o: SmtpBenchOptions): Promise<Measurement> {
  const raw = await rawServer()
  const ours: number[] = []
  const baseline: number[] = []
  const accepted: number[] = []
  try {
    // Warm-up on both paths.
    await sendAll(raw.port, 20, o.connections, (i) => mail('warm', i, 'anyone@raw.example'))
    await runOurs('warm', 20)

    for (let r = 0; r < o.rounds; r++) {
      const before = raw.parsed()
      const t0 = performance.now()
      await sendAll(raw.port, o.messages, o.connections, (i) => mail(`raw${r}`, i, 'anyone@raw.example'))
      const seconds = (performance.now() - t0) / 1000
      if (raw.parsed() - before !== o.messages) throw new Error(`raw pipeline parsed ${raw.parsed() - before} of ${o.messages}`)
      baseline.push(o.messages / seconds)
      const res = await runOurs(`r${r}`, o.messages)
      ours.push(res.endToEnd)
      accepted.push(res.accepted)
    }
  } finally {
    await raw.close()
  }

  async function runOurs(tag: string, count: number): Promise<{ endToEnd: number; accepted: number }> {
    const ws = await workspace(o.base, o.adminToken, `Bench: SMTP ${tag}`)
    const address = `support@${tag}-${Math.random().toString(36).slice(2, 8)}.bench.test`
    await http(o.base, ws.token, 'POST', '/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address } }, 201)
    const t0 = performance.now()
    await sendAll(o.smtpPort, count, o.connections, (i) => mail(tag, i, address))
    const acceptedAt = performance.now()
    const deadline = Date.now() + o.timeoutMs
    for (;;) {
      const visible = await countAll(o.base, ws.token, '/api/v1/conversations')
      if (visible === count) break
      if (visible > count) throw new Error(`${visible} conversations for ${count} distinct messages`)
      if (Date.now() > deadline) throw new Error(`only ${visible} of ${count} conversations visible after ${o.timeoutMs / 1000} s`)
      await sleep(50)
    }
    const doneAt = performance.now()
    return { endToEnd: count / ((doneAt - t0) / 1000), accepted: count / ((acceptedAt - t0) / 1000) }
  }

  return {
    name: 'inbound SMTP end to end',
    unit: 'messages/s',
    ours,
    baseline,
    oursLabel: `nodemailer → Omnidesk SMTP (durable before 250) → conversation listed by the API; ${o.messages} messages, ${o.connections} SMTP connections per round`,
    baselineLabel: `nodemailer → smtp-server + mailparser, no storage; same messages and connections`,
    notes: [`SMTP acceptance alone (all 250s received, processing still running): ${accepted.map((a) => a.toFixed(0)).join(', ')} messages/s`],
  }
}
