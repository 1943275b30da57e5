import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createThrowawayDatabase } from '../test/server-database.ts'
import { buildMailWorkload, sendMailWorkload } from './mail-workload.ts'

/**
 * Statements per inbound mail, counted by wrapping pg.Client#query: the SMTP
 * store, the processor and the work it leaves to the background (event
 * dispatcher, audit appender), for the 200-mail workload sent over
 * BENCH_SENDERS (default 8) SMTP connections to an in-process app on embedded
 * PGlite (or a throwaway database on the PostgreSQL server of DATABASE_URL). Prints the total per mail and the statements
 * grouped by their first words, most frequent first, and the CPU time per mail
 * (this process: server, PGlite and the SMTP client).
 * BENCH_CPU_PROFILE=<file.cpuprofile> writes a CPU profile of the main thread
 * for the measured window only (sending until processed), for Chrome DevTools.
 * BENCH_WARMUP=1 first sends the workload once, unmeasured, to another inbox:
 * modules loaded and code compiled on first use stay out of the figures.
 * `node --import tsx bench/mail-statements.ts`
 */
const senders = Number(process.env.BENCH_SENDERS ?? 8)
let counting = false
const counts = new Map<string, number>()
/** Milliseconds from each statement's call to its answer, by statement: on PGlite mostly its run in PostgreSQL's WASM. */
const elapsed = new Map<string, number>()
const original = pg.Client.prototype.query
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a transparent wrapper of an overloaded method
;(pg.Client.prototype as any).query = function (this: pg.Client, ...args: unknown[]) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  const result = (original as any).apply(this, args)
  if (counting) {
    const first = args[0] as string | { text?: string }
    const text = (typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' ').replace(/\$\d+/g, '$').slice(0, 90)
    counts.set(text, (counts.get(text) ?? 0) + 1)
    const t0 = performance.now()
    const done = () => elapsed.set(text, (elapsed.get(text) ?? 0) + performance.now() - t0)
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(done, done)
  }
  return result
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-mail-stmts-'))
const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
const pgDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_stmts') : null
const config = loadConfig({ ...(pgDb && { DATABASE_URL: pgDb.url }), DATA_DIR: dataDir, OMNIDESK_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'error', API_RATE_LIMIT: '100000000' })
const o = await build({ config })
try {
  await o.start()
  const { port } = await o.smtp.listen(0, '127.0.0.1')
  const auth = { authorization: `Bearer ${adminToken}` }
  const ws = await o.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'Mail statements' } })
  const token = JSON.parse(ws.body).token as string
  const to = `support@${randomBytes(4).toString('hex')}.bench.test`
  const inbox = await o.app.inject({ method: 'POST', url: '/api/v1/inboxes', headers: { authorization: `Bearer ${token}` }, payload: { name: 'Support', channel: 'email', config: { address: to } } })
  if (inbox.statusCode !== 201) throw new Error(`${inbox.statusCode} ${inbox.body}`)
  await o.platform.dispatcher.drain()
  await new Promise((r) => setTimeout(r, 1500))
  if (process.env.BENCH_WARMUP === '1') {
    // Another workspace, so the measured round still meets 16 new contacts.
    const other = await o.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: 'Warm-up' } })
    const warm = `warmup@${randomBytes(4).toString('hex')}.bench.test`
    const made = await o.app.inject({ method: 'POST', url: '/api/v1/inboxes', headers: { authorization: `Bearer ${JSON.parse(other.body).token as string}` }, payload: { name: 'Warm-up', channel: 'email', config: { address: warm } } })
    if (made.statusCode !== 201) throw new Error(`${made.statusCode} ${made.body}`)
    await sendMailWorkload({ host: '127.0.0.1', port, mails: buildMailWorkload({ to: warm, seed: 2 }), concurrency: senders })
    await o.emailProcessor.drain()
    await o.platform.dispatcher.drain()
    await new Promise((r) => setTimeout(r, 1500))
  }
  const mails = buildMailWorkload({ to })
  const profile = process.env.BENCH_CPU_PROFILE
  const inspector = profile ? new Session() : null
  if (inspector) {
    inspector.connect()
    await inspector.post('Profiler.enable')
    await inspector.post('Profiler.start')
  }
  counting = true
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const sent = await sendMailWorkload({ host: '127.0.0.1', port, mails, concurrency: senders })
  const accepted = performance.now() - t0
  await o.emailProcessor.drain()
  await o.platform.dispatcher.drain()
  const processed = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  if (inspector && profile) {
    const { profile: taken } = await inspector.post('Profiler.stop')
    fs.writeFileSync(profile, JSON.stringify(taken))
    inspector.disconnect()
  }
  await new Promise((r) => setTimeout(r, 1500)) // background passes (audit appender) settle
  counting = false
  const total = [...counts.values()].reduce((a, b) => a + b, 0)
  console.log(`${sent.accepted} mails at ${senders}-way: last 250 after ${accepted.toFixed(0)} ms, processed after ${processed.toFixed(0)} ms (${((sent.accepted / processed) * 1000).toFixed(1)} mails/s)`)
  console.log(`${total} statements: ${(total / sent.accepted).toFixed(1)} per mail (store + processor + background)`)
  // CPU time is steadier than wall time on a busy machine; it includes the SMTP client's share (the same on every tree).
  console.log(`CPU (user + system) of this process until processed, main thread and workers: ${((cpu.user + cpu.system) / 1000 / sent.accepted).toFixed(1)} ms per mail`)
  console.log('per mail: statements, ms from call to answer (wall time, a loaded machine inflates it), statement')
  for (const [text, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 40))
    console.log(`${(n / sent.accepted).toFixed(2).padStart(6)} ${((elapsed.get(text) ?? 0) / sent.accepted).toFixed(2).padStart(6)}  ${text}`)
} finally {
  pg.Client.prototype.query = original
  await o.close()
  await pgDb?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
