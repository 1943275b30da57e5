import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createThrowawayDatabase } from '../test/server-database.ts'

/**
 * What holds embedded PGlite's one session (or, with DATABASE_URL, a throwaway PostgreSQL database's
 * pool connections) while `POST /api/v1/conversations` runs at
 * BENCH_CONCURRENCY (default 8) through app.inject, BENCH_CREATES (default 1500) creates: every
 * checkout of the pool (max 1) is timed from connect to release and named by the first frame of
 * our code that asked for it; prints the request latencies (p50, p99, max), the session's holders
 * by total and longest hold, and the longest holds with the latency of the requests that waited
 * meanwhile. `node --import tsx bench/session-holds.ts`
 */
const creates = Number(process.env.BENCH_CREATES ?? 1500)
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-holds-'))
const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
// With DATABASE_URL: a throwaway database on that PostgreSQL server, whose pool has several connections.
const pgDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_holds') : null
const config = loadConfig({ ...(pgDb && { DATABASE_URL: pgDb.url }), DATA_DIR: dataDir, OMNIDESK_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', API_RATE_LIMIT: '100000000' })
const o = await build({ config })
Error.stackTraceLimit = 40

interface Hold { who: string; start: number; ms: number; statements?: string[] }
const holds: Hold[] = []
let recording = false
const pool = o.platform.database.pool
const connect = pool.connect.bind(pool) as () => Promise<import('pg').PoolClient>
/** The first frame of our code outside the database layer, from an (async) stack. */
const caller = (stack: string) => {
  const frames = stack.split('\n').slice(1).map((l) => l.trim())
  const ours = frames.find((f) => f.includes('/src/') && !f.includes('/src/platform/db/') && !f.includes('kysely'))
  return (ours ?? frames.find((f) => f.includes('node_modules/pg-boss')) ?? frames[2] ?? '?').replace(/^at (async )?/, '').replace(/\(?\/.*\/src\//, 'src/').replace(/\)$/, '')
}
/** Times `client`'s checkout from now to its release, with each statement's time within it. */
function track(client: import('pg').PoolClient, who: string) {
  const start = performance.now()
  const release = client.release.bind(client)
  const statements: [string, number][] = []
  const query = client.query
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a transparent wrapper of an overloaded method
  ;(client as any).query = function (...a: unknown[]) {
    const t = performance.now()
    const text = typeof a[0] === 'string' ? a[0] : ((a[0] as { text?: string })?.text ?? '?')
    const cb = a.findIndex((x) => typeof x === 'function')
    if (cb >= 0) {
      const f = a[cb] as (...r: unknown[]) => void
      a[cb] = (...r: unknown[]) => (statements.push([text, performance.now() - t]), f(...r))
    }
    const r = (query as (...x: unknown[]) => unknown).apply(client, a)
    if (r && typeof (r as Promise<unknown>).then === 'function') void (r as Promise<unknown>).then(() => statements.push([text, performance.now() - t]), () => {})
    return r
  }
  client.release = (err?: Error | boolean) => {
    client.query = query
    const ms = performance.now() - start
    if (recording) holds.push({ who, start, ms, ...(ms > 30 && { statements: statements.map(([q, t]) => `${t.toFixed(1)} ms ${q.replace(/\s+/g, ' ').slice(0, 90)}`) }) })
    return release(err)
  }
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg.Pool#connect is overloaded
;(pool as any).connect = async (...args: unknown[]) => {
  const who = caller(new Error().stack ?? '')
  if (typeof args[0] === 'function') {
    // pool.query's checkout (VACUUM, ANALYZE, pg-boss): it releases with client.release.
    const cb = args[0] as (err: unknown, client?: import('pg').PoolClient, done?: unknown) => void
    return (connect as (...a: unknown[]) => unknown)((err: unknown, client: import('pg').PoolClient, done: unknown) => {
      if (client) track(client, `pool.query from ${who}`)
      cb(err, client, done)
    })
  }
  const client = await connect()
  track(client, who)
  return client
}

try {
  await o.start()
  const ws = await o.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: { authorization: `Bearer ${adminToken}` }, payload: { name: 'Holds' } })
  const token = JSON.parse(ws.body).token as string
  const text = 'Hello, my order #1234 arrived damaged: the box was crushed and the lid is cracked. Can you send a replacement? Thanks, a customer.'
  let n = 0
  const latencies: { start: number; ms: number }[] = []
  const run = async (count: number) => {
    let left = count
    const worker = async () => {
      while (left-- > 0) {
        const id = ++n
        const t = performance.now()
        const r = await o.app.inject({
          method: 'POST',
          url: '/api/v1/conversations',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ contact: { name: `Customer ${id}`, email: `c-${id}@bench.example` }, subject: `Damaged order ${id}`, message: { text } }),
        })
        if (r.statusCode !== 201) throw new Error(`${r.statusCode} ${r.body}`)
        if (recording) latencies.push({ start: t, ms: performance.now() - t })
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  }
  await run(100)
  recording = true
  // The event loop's stalls: a 5 ms timer that fires late says the thread was busy in one piece.
  const stalls: { at: number; ms: number }[] = []
  let last = performance.now()
  const ticker = setInterval(() => {
    const now = performance.now()
    if (now - last > 30) stalls.push({ at: now - t0 - (now - last), ms: now - last })
    last = now
  }, 5)
  const t0 = performance.now()
  await run(creates)
  const wall = performance.now() - t0
  clearInterval(ticker)
  recording = false
  await o.platform.dispatcher.drain()
  const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b)
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1)
  console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`)
  console.log(`${pgDb ? 'PostgreSQL' : 'PGlite'}: ${creates} creates at ${concurrency}: ${(creates / (wall / 1000)).toFixed(1)}/s, p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`)
  const by = new Map<string, { n: number; total: number; max: number }>()
  for (const h of holds) {
    const s = by.get(h.who) ?? { n: 0, total: 0, max: 0 }
    s.n++
    s.total += h.ms
    s.max = Math.max(s.max, h.ms)
    by.set(h.who, s)
  }
  console.log(`session held ${((100 * holds.reduce((a, h) => a + h.ms, 0)) / wall).toFixed(0)} % of the time; by holder (count, total ms, mean, max):`)
  for (const [who, s] of [...by].sort((a, b) => b[1].total - a[1].total).slice(0, 20))
    console.log(`${String(s.n).padStart(6)} ${s.total.toFixed(0).padStart(7)} ${(s.total / s.n).toFixed(2).padStart(7)} ${s.max.toFixed(1).padStart(7)}  ${who}`)
  console.log(`event-loop stalls over 30 ms: ${stalls.length}, ${stalls.reduce((a, x) => a + x.ms, 0).toFixed(0)} ms in all; longest:`)
  for (const x of [...stalls].sort((a, b) => b.ms - a.ms).slice(0, 8)) console.log(`${x.ms.toFixed(1).padStart(8)} ms at +${x.at.toFixed(0)} ms`)
  console.log('slowest requests:')
  for (const l of [...latencies].sort((a, b) => b.ms - a.ms).slice(0, 8)) console.log(`${l.ms.toFixed(1).padStart(8)} ms from +${(l.start - t0).toFixed(0)} ms`)
  const worst = [...latencies].sort((a, b) => b.ms - a.ms)[0]
  if (worst) {
    const during = holds.filter((h) => h.start + h.ms > worst.start && h.start < worst.start + worst.ms)
    const busy = during.reduce((a, h) => a + h.ms, 0)
    console.log(`during the slowest request (${worst.ms.toFixed(0)} ms): ${during.length} holds, ${busy.toFixed(0)} ms held; by holder:`)
    const m = new Map<string, [number, number]>()
    for (const h of during) m.set(h.who, [(m.get(h.who)?.[0] ?? 0) + 1, (m.get(h.who)?.[1] ?? 0) + h.ms])
    for (const [who, [n, ms]] of [...m].sort((a, b) => b[1][1] - a[1][1])) console.log(`${String(n).padStart(6)} ${ms.toFixed(1).padStart(7)}  ${who}`)
  }
  console.log('longest holds:')
  for (const h of [...holds].sort((a, b) => b.ms - a.ms).slice(0, 12)) {
    console.log(`${h.ms.toFixed(1).padStart(8)} ms at +${(h.start - t0).toFixed(0)} ms  ${h.who}`)
    for (const st of h.statements ?? []) console.log(`           ${st}`)
  }
} finally {
  await o.close()
  await pgDb?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
