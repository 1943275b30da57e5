/**
 * `node --import tsx bench/chat.ts [--visitors 32] [--messages 10] [--json FILE]`
 *
 * Chat round trip: a visitor's message over the widget's WebSocket → the
 * server stores it (conversation, message, event in one transaction) → the
 * outbox dispatcher → an agent client subscribed on /api/v1/realtime receives
 * `message.received`. Many visitors at once, each sending its next message as
 * soon as the agent saw the previous one (closed loop). The floor, in the same
 * run: a bare `ws` server that forwards each visitor frame to one subscribed
 * agent socket, with the same visitors and messages. Reported: p50/p99 of both.
 *
 * Runs the app in-process on the embedded database (DATABASE_URL: PostgreSQL).
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { parseArgs } from 'node:util'
import WebSocket, { WebSocketServer } from 'ws'
import { chatInbox, visitorSocket, wsUrlOf } from '../src/channels/chat/test-helpers.ts'
import { startTestApp } from '../test/harness.ts'

const { values: args } = parseArgs({
  options: {
    visitors: { type: 'string', default: '32' },
    messages: { type: 'string', default: '10' },
    json: { type: 'string', default: path.join(import.meta.dirname, 'results/chat-latest.json') },
  },
})
const VISITORS = Number(args.visitors)
const MESSAGES = Number(args.messages)

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN
}
const summary = (xs: number[], ms: number) => ({ messages: xs.length, p50Ms: +quantile(xs, 0.5).toFixed(2), p99Ms: +quantile(xs, 0.99).toFixed(2), maxMs: +Math.max(...xs).toFixed(2), perSecond: +((xs.length / ms) * 1000).toFixed(1) })

/** Runs the closed loop: `send(v, id)` sends; the agent side calls `arrived(id)`. */
async function closedLoop(send: (visitor: number, id: string) => void, register: (arrived: (id: string) => void) => void) {
  const pending = new Map<string, { t0: number; resolve: () => void }>()
  const latencies: number[] = []
  register((id) => {
    const p = pending.get(id)
    if (!p) return
    pending.delete(id)
    latencies.push(performance.now() - p.t0)
    p.resolve()
  })
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: VISITORS }, async (_, v) => {
      for (let m = 0; m < MESSAGES; m++) {
        const id = `b${v}x${m}x${randomUUID().slice(0, 8)}`
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`message ${id} never reached the agent`)), 30_000)
          pending.set(id, { t0: performance.now(), resolve: () => (clearTimeout(timer), resolve()) })
          send(v, id)
        })
      }
    }),
  )
  return summary(latencies, performance.now() - t0)
}

async function benchOmnidesk() {
  const t = await startTestApp({ DATABASE_POOL_SIZE: '10' })
  await t.omnidesk.start({ jobs: false })
  await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
  try {
    const ws = await t.workspace('Bench')
    const inboxId = await chatInbox(ws, { messagesPerMinute: 600 })
    const agent = new WebSocket(`ws://127.0.0.1:${(t.omnidesk.app.server.address() as AddressInfo).port}/api/v1/realtime`, { headers: { authorization: `Bearer ${ws.token}` } })
    await new Promise<void>((resolve, reject) => {
      agent.on('error', reject)
      agent.on('message', (d) => {
        const f = JSON.parse(d.toString())
        if (f.type === 'ready') agent.send(JSON.stringify({ type: 'subscribe', topics: ['conversations'] }))
        if (f.type === 'subscribed') resolve()
      })
    })
    const visitors = Array.from({ length: VISITORS }, () => visitorSocket(wsUrlOf(t, inboxId), { origin: 'https://shop.example' }))
    await Promise.all(visitors.map((v) => v.hello()))
    const result = await closedLoop(
      (v, id) => void visitors[v]!.send({ type: 'message', clientId: id, text: `hello ${id}` }),
      (arrived) =>
        agent.on('message', (d) => {
          const f = JSON.parse(d.toString())
          if (f.type === 'event' && f.event.type === 'message.received') arrived(String(f.event.payload.providerMessageId).split(':')[1] ?? '')
        }),
    )
    agent.close()
    await Promise.all(visitors.map((v) => v.close()))
    return result
  } finally {
    await t.close()
  }
}

async function benchFloor() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((r) => server.once('listening', r))
  let agentSocket: WebSocket | null = null
  server.on('connection', (socket, req) => {
    if (req.url === '/agent') agentSocket = socket
    else socket.on('message', (d) => agentSocket?.send(d.toString()))
  })
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  const agent = new WebSocket(`${url}/agent`)
  await new Promise((r) => agent.once('open', r))
  const visitors = Array.from({ length: VISITORS }, () => new WebSocket(`${url}/visitor`))
  await Promise.all(visitors.map((v) => new Promise((r) => v.once('open', r))))
  const result = await closedLoop(
    (v, id) => visitors[v]!.send(JSON.stringify({ type: 'message', clientId: id, text: `hello ${id}` })),
    (arrived) => agent.on('message', (d) => arrived(JSON.parse(d.toString()).clientId)),
  )
  for (const v of visitors) v.close()
  agent.close()
  await new Promise((r) => server.close(r))
  return result
}

const floor = await benchFloor()
const omnidesk = await benchOmnidesk()
const backend = process.env.DATABASE_URL ? 'postgres' : 'pglite'
const out = { at: new Date().toISOString(), backend, visitors: VISITORS, messagesPerVisitor: MESSAGES, omnidesk, floor }
fs.mkdirSync(path.dirname(args.json as string), { recursive: true })
fs.writeFileSync(args.json as string, `${JSON.stringify(out, null, 2)}\n`)
console.log(`chat round trip, ${VISITORS} visitors × ${MESSAGES} messages (${backend})`)
console.log('| path | messages | p50 ms | p99 ms | max ms | messages/s |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
for (const [name, r] of [['visitor → Omnidesk → agent', omnidesk], ['bare ws forward (floor)', floor]] as const)
  console.log(`| ${name} | ${r.messages} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.perSecond} |`)
process.exit(0)
