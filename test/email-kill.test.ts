import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import nodemailer from 'nodemailer'
import { createThrowawayDatabase } from './server-database.ts'
import { freePort } from './net.ts'
import { type ServerProcess, serverEnv, startServerProcess } from './server-process.ts'

/**
 * Crash safety of inbound SMTP, on the real process: N distinct messages are
 * streamed to the server (`npm start`'s process), the server is killed with SIGKILL mid-stream and
 * restarted on the same data directory (and database). Every message that got
 * a 250 must then be in exactly one conversation message, read through the
 * REST API. The messages that did not get a 250 are then retried, as a real
 * sending MTA would, and must not be doubled either.
 */

const N = 40
/** The server is killed once this many messages were acknowledged: mid-stream, with more in flight. */
const KILL_AFTER = 18
const SENDERS = 4
const WAIT_MS = 90_000

const run = randomBytes(4).toString('hex')
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-kill-'))
const adminToken = `kill-admin-${randomBytes(12).toString('hex')}`
const serverDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_kill') : null

let server: ServerProcess | null = null
after(async () => {
  server?.proc.kill('SIGKILL')
  await server?.exited
  await serverDb?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

const httpPort = await freePort()
const smtpPort = await freePort()
const base = `http://127.0.0.1:${httpPort}`

/** Starts the server as `npm start` does; resolves once HTTP and SMTP are listening. */
const startServer = (): Promise<ServerProcess> =>
  startServerProcess(serverEnv({ dataDir, port: httpPort, smtpPort, adminToken, databaseUrl: serverDb?.url }), 60_000)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function api(token: string, method: string, url: string, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any }
}

/** Every item of a cursor-paginated list. */
async function listAll(token: string, url: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = []
  let cursor: string | null = null
  do {
    const sep = url.includes('?') ? '&' : '?'
    const res = await api(token, 'GET', `${url}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200, `GET ${url}: ${JSON.stringify(res.body)}`)
    items.push(...res.body.items)
    cursor = res.body.nextCursor
  } while (cursor)
  return items
}

const messageId = (i: number) => `<kill-${run}-${i}@sender.example>`

/** Sends message i on a fresh connection; true only if the server answered 250 to DATA. */
async function sendOne(to: string, i: number): Promise<boolean> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, connectionTimeout: 3000, greetingTimeout: 3000, socketTimeout: 5000 })
  try {
    const info = await transport.sendMail({
      from: `Customer ${i} <customer-${i}@example.com>`,
      to,
      subject: `Kill test message ${i}`,
      text: `Message number ${i} of run ${run}.`,
      messageId: messageId(i),
    })
    return info.response.startsWith('250')
  } catch {
    return false // refused, reset or never connected: not acknowledged
  } finally {
    transport.close()
  }
}

/** Waits until no inbound mail is left to process; fails naming what is stuck. */
async function waitProcessed(token: string, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const pending = await listAll(token, '/api/v1/email/inbound?status=received')
    if (pending.length === 0) return
    if (Date.now() > deadline)
      throw new Error(`${what}: ${pending.length} inbound mail(s) still not processed after ${WAIT_MS / 1000} s: ${JSON.stringify(pending.slice(0, 3))}\n${server?.output() ?? ''}`)
    await sleep(250)
  }
}

/** How many inbound conversation messages carry each Message-ID, read through the API (replies and acknowledgements are not counted). */
async function messageCounts(token: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const c of await listAll(token, '/api/v1/conversations')) {
    for (const m of await listAll(token, `/api/v1/conversations/${String(c.id)}/messages`)) {
      if (m.direction !== 'inbound') continue
      const id = m.providerMessageId as string | null
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1)
    }
  }
  return counts
}

test('every message acknowledged with 250 before a kill -9 is in exactly one conversation message after restart', { timeout: 240_000 }, async (t) => {
  server = await startServer()
  const health = await api(adminToken, 'GET', '/health')
  assert.equal(health.body?.database, serverDb ? 'postgres' : 'pglite', 'the server runs on the intended backend')
  const ws = await api(adminToken, 'POST', '/api/v1/workspaces', { name: `Kill ${run}` })
  assert.equal(ws.status, 201, JSON.stringify(ws.body))
  const token = ws.body.token as string
  const address = `support@kill-${run}.acme.test`
  const inbox = await api(token, 'POST', '/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address } })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))

  // Stream the messages from a few concurrent senders; kill -9 once KILL_AFTER were acknowledged.
  const acked = new Set<number>()
  const attempted = new Set<number>()
  let next = 0
  let killed = false
  const victim = server
  const sender = async () => {
    while (!killed && next < N) {
      const i = next++
      attempted.add(i)
      if (await sendOne(address, i)) acked.add(i)
      if (acked.size >= KILL_AFTER && !killed) {
        killed = true
        victim.proc.kill('SIGKILL')
      }
    }
  }
  await Promise.all(Array.from({ length: SENDERS }, sender))
  await victim.exited
  assert.equal(victim.proc.signalCode, 'SIGKILL', `the server was not killed by SIGKILL (exit ${victim.proc.exitCode}):\n${victim.output()}`)
  assert.ok(killed, `the server was never killed: only ${acked.size} of ${N} messages were acknowledged:\n${victim.output()}`)
  assert.ok(acked.size >= KILL_AFTER && acked.size < N, `expected a kill mid-stream, got ${acked.size} acknowledged of ${N}`)

  // Restart on the same data directory (and database): stored mail is processed after the restart.
  server = await startServer()
  await waitProcessed(token, 'after the restart')
  const quarantined = await listAll(token, '/api/v1/email/inbound?status=quarantined')
  assert.deepEqual(quarantined, [], 'no mail may end in quarantine')

  const counts = await messageCounts(token)
  const lost = [...acked].filter((i) => (counts.get(messageId(i)) ?? 0) === 0)
  const doubled = [...counts].filter(([, n]) => n > 1)
  assert.deepEqual(lost, [], `acknowledged with 250 but in no conversation (of ${acked.size} acknowledged)`)
  assert.deepEqual(doubled, [], 'a message is in more than one conversation message')
  for (const i of acked) assert.equal(counts.get(messageId(i)), 1, `message ${i}`)
  const foreign = [...counts.keys()].filter((id) => !Array.from({ length: N }, (_, i) => messageId(i)).includes(id))
  assert.deepEqual(foreign, [], 'messages we never sent')

  // The sender retries what was not acknowledged (4xx, reset, refused). Those it
  // sent before the kill may already be stored: the retry must not double them.
  const unacked = Array.from({ length: N }, (_, i) => i).filter((i) => !acked.has(i))
  for (const i of unacked) assert.ok(await sendOne(address, i), `retry of message ${i} after the restart was not acknowledged:\n${server.output()}`)
  await waitProcessed(token, 'after the retries')
  const final = await messageCounts(token)
  for (let i = 0; i < N; i++) assert.equal(final.get(messageId(i)), 1, `message ${i} (${acked.has(i) ? 'acknowledged before the kill' : 'retried after the restart'})`)
  assert.equal(final.size, N)
  const conversations = await listAll(token, '/api/v1/conversations')
  assert.equal(conversations.length, N, 'one conversation per distinct message')
  t.diagnostic(`acknowledged before the kill: ${acked.size}, attempted: ${attempted.size}, retried after restart: ${unacked.length}`)
})
