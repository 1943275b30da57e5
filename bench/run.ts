import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createThrowawayDatabase } from '../test/server-database.ts'
import { benchApi } from './api.bench.ts'
import { type Floors, startFloors } from './floors.ts'
import { median, sleep } from './lib.ts'
import { benchMail } from './mail.bench.ts'
import { buildMailWorkload } from './mail-workload.ts'
import { type BackendResult, type BenchResults, renderMarkdown, verdicts } from './report.ts'
import { pssMiB, ROOT, type RunningServer, startCommand, startServer } from './server-process.ts'

/**
 * `npm run bench`: the real server process, started as `npm start` starts it,
 * measured against floors in the same run (BENCHMARKS.md explains the method).
 *
 *   --backend pglite|postgres|both   default both
 *   --quick                          one round, short loads (~1–2 min)
 *   --database-url URL               PostgreSQL server for throwaway databases
 *                                    (default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
 *   --json FILE                      default bench/results/latest.json
 *   --log-level LEVEL                the server's LOG_LEVEL (default warn)
 *   --parts start,api,mail           what to measure after the starts (default all; start alone: starts and idle memory)
 *   --senders 1,8,32                 the mail rows' sender counts (default 1,8,32)
 *   --only api|mail                  the same as --parts start,api or --parts start,mail
 *   --api-rounds N, --api-seconds S  API load: rounds per level (default 2, --quick 1), seconds per round and side (5, --quick 2)
 *   --quiet-wait S                   before each backend's starts, wait up to S seconds (default 120, 0: not at all)
 *                                    for the 1-minute load average to fall under 0.8
 */
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    quick: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    json: { type: 'string', default: path.join(ROOT, 'bench/results/latest.json') },
    'log-level': { type: 'string', default: 'warn' },
    parts: { type: 'string', default: 'start,api,mail' },
    senders: { type: 'string', default: '1,8,32' },
    only: { type: 'string' },
    'api-rounds': { type: 'string' },
    'api-seconds': { type: 'string' },
    'quiet-wait': { type: 'string', default: '120' },
  },
})
const only = args.only as string | undefined
if (only !== undefined && !['api', 'mail'].includes(only)) throw new Error('--only must be api or mail')
const parts = new Set((only ? `start,${only}` : (args.parts as string)).split(',').map((p) => p.trim()))
const senderLevels = (args.senders as string).split(',').map(Number)
if (senderLevels.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--senders takes positive integers, e.g. 8,32')
const backendArg = args.backend as string
if (!['pglite', 'postgres', 'both'].includes(backendArg)) throw new Error('--backend must be pglite, postgres or both')
const backends = (backendArg === 'both' ? ['pglite', 'postgres'] : [backendArg]) as Array<'pglite' | 'postgres'>
const databaseUrl = args['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const quick = args.quick as boolean
const settings = {
  quick,
  starts: quick ? 1 : 3,
  settleSeconds: quick ? 3 : 5,
  apiSeconds: args['api-seconds'] ? Number(args['api-seconds']) : quick ? 2 : 5,
  apiRounds: args['api-rounds'] ? Number(args['api-rounds']) : quick ? 1 : 2,
  mailRounds: quick ? 1 : 2,
  mailMails: buildMailWorkload({ to: 'support@size.bench.test' }).length,
}
const logLevel = args['log-level'] as string

const log = (s: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`)
const started = performance.now()

/**
 * Waits until the 1-minute load average is under QUIET_LOAD (0.8 on 2 cores: little else runs), at most
 * `quiet-wait` seconds (default 120; 0 to not wait), and says how long it waited.
 */
async function waitForQuiet(): Promise<void> {
  const limitMs = Number(args['quiet-wait']) * 1000
  const t0 = performance.now()
  const QUIET_LOAD = 0.8
  if (os.loadavg()[0]! < QUIET_LOAD || limitMs <= 0) return
  log(`waiting for a quiet machine before the starts (load average ${os.loadavg()[0]!.toFixed(2)}, at most ${limitMs / 1000} s)`)
  while (os.loadavg()[0]! >= QUIET_LOAD && performance.now() - t0 < limitMs) await sleep(2000)
  log(`load average ${os.loadavg()[0]!.toFixed(2)} after ${((performance.now() - t0) / 1000).toFixed(0)} s`)
}

async function runBackend(backend: 'pglite' | 'postgres'): Promise<BackendResult> {
  const t0 = performance.now()
  const result: BackendResult = {
    backend,
    start: { freshMs: [], existingMs: [], freshMedianMs: 0, existingMedianMs: 0 },
    memory: { idleFirstStartMiB: 0, idleRestartMiB: 0, peakMail8MiB: null },
    api: [],
    mail: [],
    seconds: 0,
  }
  if (backend === 'postgres') {
    const probe = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 })
    try {
      await probe.connect()
      await probe.end()
    } catch (err) {
      if (backendArg === 'postgres') throw err
      result.skipped = `no PostgreSQL at ${databaseUrl.replace(/\/\/[^@/]*@/, '//***@')} (${(err as Error).message})`
      log(`PostgreSQL skipped: ${result.skipped}`)
      return result
    }
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `omnidesk-bench-${backend}-`))
  const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
  const dbs: Array<{ url: string; drop: () => Promise<void> }> = []
  let server: RunningServer | null = null
  let floors: Floors | null = null
  try {
    // Starts are timed in wall-clock time: on a machine still busy with what ran before (a test run,
    // the other backend's load) they measure that load. Wait for a quiet minute first (bounded).
    await waitForQuiet()
    // Fresh starts: a new data directory (PGlite) or a new empty database (PostgreSQL) each.
    let dataDir = ''
    let db: { url: string; drop: () => Promise<void> } | null = null
    for (let i = 0; i < settings.starts; i++) {
      if (server) {
        await server.stop()
        fs.rmSync(dataDir, { recursive: true, force: true })
        await db?.drop()
        dbs.pop()
      }
      dataDir = path.join(tmp, `data-${i}`)
      db = backend === 'postgres' ? await createThrowawayDatabase(databaseUrl, 'omnidesk_bench') : null
      if (db) dbs.push(db)
      server = await startServer({ dataDir, databaseUrl: db?.url, adminToken, logLevel })
      result.start.freshMs.push(server.startMs)
      log(`${backend}: fresh start ${i + 1}/${settings.starts}: /health 200 after ${server.startMs.toFixed(0)} ms`)
    }
    await sleep(settings.settleSeconds * 1000)
    result.memory.idleFirstStartMiB = pssMiB((server as RunningServer).pid)
    log(`${backend}: idle after the first start: ${result.memory.idleFirstStartMiB.toFixed(0)} MiB PSS`)
    await (server as RunningServer).stop()
    server = null

    // The PGlite floor gets a copy of the data directory, taken while no process has it open.
    const floorDir = path.join(tmp, 'floor')
    if (backend === 'pglite') fs.cpSync(dataDir, floorDir, { recursive: true })

    // Starts on existing data.
    for (let i = 0; i < settings.starts; i++) {
      if (server) await server.stop()
      server = await startServer({ dataDir, databaseUrl: db?.url, adminToken, logLevel })
      result.start.existingMs.push(server.startMs)
      log(`${backend}: start on existing data ${i + 1}/${settings.starts}: /health 200 after ${server.startMs.toFixed(0)} ms`)
    }
    const srv = server as RunningServer
    await sleep(settings.settleSeconds * 1000)
    result.memory.idleRestartMiB = pssMiB(srv.pid)
    log(`${backend}: idle after a restart: ${result.memory.idleRestartMiB.toFixed(0)} MiB PSS`)
    result.start.freshMedianMs = median(result.start.freshMs)
    result.start.existingMedianMs = median(result.start.existingMs)

    floors = await startFloors(db ? { databaseUrl: db.url } : { dataDir: floorDir })
    if (parts.has('api')) {
      log(`${backend}: POST /api/v1/conversations at 1 and 8 connections, against raw INSERTs`)
      result.api = await benchApi({ base: srv.base, adminToken, floors, levels: [1, 8], seconds: settings.apiSeconds, rounds: settings.apiRounds, serverPid: srv.pid })
    }
    if (parts.has('mail')) log(`${backend}: inbound email at ${senderLevels.join(', ')} senders, against parse-only smtp-server + mailparser`)
    result.mail = !parts.has('mail') ? [] : await benchMail({
      base: srv.base,
      smtpPort: srv.smtpPort,
      adminToken,
      serverPid: srv.pid,
      floors,
      levels: senderLevels,
      rounds: settings.mailRounds,
      sampleAt: 8,
      timeoutMs: 180_000,
    })
    result.memory.peakMail8MiB = result.mail.find((m) => m.senders === 8)?.peakPssMiB ?? null
    return finish()
  } catch (err) {
    if (server) console.error(`server output (last lines):\n${server.output().split('\n').slice(-40).join('\n')}`)
    throw err
  } finally {
    await floors?.close()
    await server?.stop()
    for (const db of dbs) await db.drop().catch((err: Error) => console.error(`could not drop a bench database: ${err.message}`))
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  function finish(): BackendResult {
    result.seconds = (performance.now() - t0) / 1000
    return result
  }
}

const commit = (() => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim()
    return dirty ? `${head}+changes` : head
  } catch {
    return 'unknown'
  }
})()
const results: BenchResults = {
  version: 1,
  date: new Date().toISOString(),
  commit,
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  startScript: startCommand().script,
  machine: {
    cpus: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    loadAverageStart: os.loadavg(),
    loadAverageEnd: [],
  },
  settings,
  backends: [],
}
log(`Omnidesk bench (${backends.join(', ')}${quick ? ', quick' : ''}); server: ${results.startScript}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
for (const b of backends) results.backends.push(await runBackend(b))
results.machine.loadAverageEnd = os.loadavg()

fs.mkdirSync(path.dirname(args.json as string), { recursive: true })
fs.writeFileSync(args.json as string, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\n${renderMarkdown(results)}\n`)
const failed = verdicts(results).filter((v) => v.pass === false)
log(`done; ${failed.length} of ${verdicts(results).filter((v) => v.pass !== null).length} targets missed; results in ${path.relative(process.cwd(), args.json as string)}`)
