import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createThrowawayDatabase } from '../test/server-database.ts'

/**
 * CPU per `POST /api/v1/conversations` on the main thread, in-process on embedded PGlite, or on
 * a throwaway database of the PostgreSQL server of DATABASE_URL (dropped afterwards):
 * `node --import tsx bench/api-cpu.ts` (BENCH_CREATES, default 400; BENCH_CONCURRENCY, default 8,
 * through app.inject). Prints the process CPU time per create (request + the background work it
 * causes) and the self time of the top functions while measuring, grouped by package, so the
 * costs outside the database show (on PostgreSQL the server's own CPU is not counted: it is
 * another process; when that server runs on this machine, the CPU its backends serving the
 * throwaway database spent meanwhile is printed too, read from /proc). BENCH_PROFILE=file.cpuprofile
 * keeps the profile. On PostgreSQL it also prints the throwaway database's counters per create
 * (pg_stat_database: buffers, rows read and written), which unlike CPU time do not move with the
 * machine's load. Experiments without a migration: BENCH_SETUP_SQL runs before the warm-up,
 * BENCH_WARM_SQL after it (e.g. `analyze`), both as the server's superuser; BENCH_KEEP_DB=1 keeps
 * the database for a look at pg_stat_user_tables afterwards.
 */
const creates = Number(process.env.BENCH_CREATES ?? 400)
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-apicpu-'))
const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
const pgDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_apicpu') : null
const config = loadConfig({ ...(pgDb && { DATABASE_URL: pgDb.url }), DATA_DIR: dataDir, OMNIDESK_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn', API_RATE_LIMIT: '100000000', ...(process.env.PGLITE_THREAD && { PGLITE_THREAD: process.env.PGLITE_THREAD }) })
const o = await build({ config })

/** CPU ticks (utime + stime, /proc/<pid>/stat) of the server backends connected to the throwaway database; null when not readable here. */
async function serverTicks(client: pg.Client | null): Promise<Map<number, number> | null> {
  if (!client) return null
  const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')
  const ticks = new Map<number, number>()
  for (const { pid } of rows) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
      ticks.set(pid, Number(fields[11]) + Number(fields[12])) // utime, stime: fields 14 and 15 of stat
    } catch {
      return null // another machine, or not readable
    }
  }
  return ticks
}
/**
 * The database's own counters (pg_stat_database): buffer hits, rows read, rows written. Unlike CPU
 * time they do not move with the load of the machine. Backends report at most once a second
 * when idle, so the caller waits ~1.5 s before reading.
 */
async function databaseCounters(client: pg.Client | null): Promise<Record<string, number> | null> {
  if (!client) return null
  await client.query('select pg_stat_clear_snapshot()')
  const { rows } = await client.query<Record<string, string>>(
    `select blks_hit + blks_read as blocks, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, xact_commit,
       (select sum(seq_tup_read) from pg_stat_user_tables) as seq_tup_read
     from pg_stat_database where datname = current_database()`,
  )
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]))
}
const observer = pgDb ? new pg.Client({ connectionString: pgDb.url }) : null
await observer?.connect()
const session = new Session()
try {
  await o.start()
  // An experiment without a migration: SQL run on the throwaway database before the warm-up (e.g. dropping an index).
  if (process.env.BENCH_SETUP_SQL && observer) await observer.query(process.env.BENCH_SETUP_SQL)
  const ws = await o.app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: { authorization: `Bearer ${adminToken}` }, payload: { name: 'CPU' } })
  const token = JSON.parse(ws.body).token as string
  const text = 'Hello, my order #1234 arrived damaged: the box was crushed and the lid is cracked. Can you send a replacement? Thanks, a customer.'
  let n = 0
  const post = () => {
    const id = ++n
    return o.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ contact: { name: `Customer ${id}`, email: `c-${id}@bench.example` }, subject: `Damaged order ${id}`, message: { text } }),
    })
  }
  const run = async (count: number) => {
    let left = count
    const worker = async () => {
      while (left-- > 0) {
        const r = await post()
        if (r.statusCode !== 201) throw new Error(`${r.statusCode} ${r.body}`)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    await o.platform.dispatcher.drain()
  }
  await run(Math.min(100, creates)) // warm-up: caches, JIT
  if (process.env.BENCH_WARM_SQL && observer) await observer.query(process.env.BENCH_WARM_SQL)
  await new Promise((r) => setTimeout(r, 1500))

  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 500 })
  await session.post('Profiler.start')
  const counters0 = await databaseCounters(observer)
  const server0 = await serverTicks(observer)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await run(creates)
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const server1 = await serverTicks(observer)
  const { profile } = await session.post('Profiler.stop')
  await new Promise((r) => setTimeout(r, 1500)) // idle backends report their counters
  const counters1 = await databaseCounters(observer)
  if (process.env.BENCH_PROFILE) fs.writeFileSync(process.env.BENCH_PROFILE, JSON.stringify(profile))

  const perCreate = (us: number) => (us / 1000 / creates).toFixed(2)
  console.log(`${pgDb ? 'PostgreSQL' : 'PGlite'}: ${creates} creates at ${concurrency}: ${(creates / (wall / 1000)).toFixed(1)}/s, CPU ${perCreate(cpu.user + cpu.system)} ms per create (user ${perCreate(cpu.user)}, system ${perCreate(cpu.system)})`)
  if (server0 && server1) {
    // Backends that ended during the run are missed (the pool keeps idle ones 10 s). Ticks are 10 ms (CLK_TCK 100).
    let ticks = 0
    for (const [pid, t] of server1) ticks += t - (server0.get(pid) ?? 0)
    console.log(`PostgreSQL server backends: CPU ${perCreate(ticks * 10_000)} ms per create (${server1.size} backends)`)
  }
  if (counters0 && counters1)
    console.log(`PostgreSQL counters per create (this database, incl. background work): ${Object.keys(counters1).map((k) => `${k} ${((counters1[k]! - counters0[k]!) / creates).toFixed(1)}`).join(', ')}`)
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  profile.samples?.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)))
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let total = 0
  for (const [id, us] of self) {
    const { callFrame } = nodes.get(id)!
    const url = callFrame.url
    const where = url.startsWith('wasm://') ? 'PostgreSQL (WASM)' : url.includes('node_modules/') ? url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1') : url.includes('/src/') ? url.replace(/.*\/src\//, 'src/') : url || callFrame.functionName
    if (callFrame.functionName === '(idle)') continue
    total += us
    byPackage.set(where, (byPackage.get(where) ?? 0) + us)
    const fn = `${callFrame.functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/src\//, 'src/')}:${callFrame.lineNumber + 1}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us)
  }
  const show = (m: Map<string, number>, top: number) => {
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${perCreate(us).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
  }
  console.log('busy self time per create, by package or file:')
  show(byPackage, Number(process.env.BENCH_TOP_PACKAGES ?? 30))
  console.log('by function:')
  show(byFunction, Number(process.env.BENCH_TOP_FUNCTIONS ?? 40))
} finally {
  session.disconnect()
  await observer?.end()
  await o.close()
  if (process.env.BENCH_KEEP_DB && pgDb) console.log(`kept ${pgDb.url}`)
  else await pgDb?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
