import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/platform/config.ts'
import { createThrowawayDatabase } from '../test/server-database.ts'
import { benchConversations } from './conversations.bench.ts'
import { fmt, type Measurement, median } from './lib.ts'
import { benchSmtp } from './smtp.bench.ts'

/**
 * `npm run bench`: each benchmark measures Omnidesk and a baseline in the same
 * run, on the same database, alternating round by round, and prints both
 * medians and their ratio. Embedded PGlite in a temporary data directory by
 * default; with DATABASE_URL, a throwaway database on that server (dropped at
 * the end). Bounded: about a minute with the defaults.
 *
 *   BENCH_ROUNDS    rounds per benchmark (default 3; the median is reported)
 *   BENCH_SECONDS   seconds of HTTP load per round and side (default 5)
 *   BENCH_MESSAGES  SMTP messages per round and side (default 150)
 */
const int = (name: string, fallback: number) => {
  const v = process.env[name]
  const n = v ? Number.parseInt(v, 10) : fallback
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`)
  return n
}
const rounds = int('BENCH_ROUNDS', 3)
const seconds = int('BENCH_SECONDS', 5)
const messages = int('BENCH_MESSAGES', 150)

const started = performance.now()
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-bench-'))
const serverDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL, 'omnidesk_bench') : null
const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
const config = loadConfig({
  DATA_DIR: dataDir,
  OMNIDESK_ADMIN_TOKEN: adminToken,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
  // The API's per-token limit (600/min by default) would otherwise be what we measure.
  API_RATE_LIMIT: '100000000',
  ...(serverDb && { DATABASE_URL: serverDb.url }),
})

const omnidesk = await build({ config })
const results: Measurement[] = []
try {
  await omnidesk.start()
  const base = (await omnidesk.app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1')
  const smtp = await omnidesk.smtp.listen(0, '127.0.0.1')
  const db = omnidesk.platform.database
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(`Omnidesk benchmarks: ${db.backend === 'pglite' ? 'embedded PGlite (data directory on disk)' : `PostgreSQL (${db.location})`}`)
  console.log(`machine: ${os.availableParallelism()} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  console.log(`rounds: ${rounds}, ${seconds} s of HTTP load per round and side, ${messages} SMTP messages per round and side\n`)

  console.log('… create conversation + first message')
  results.push(await benchConversations({ base, adminToken, pool: db.pool, rounds, seconds, connections: 10 }))
  console.log('… inbound SMTP end to end')
  results.push(await benchSmtp({ base, adminToken, smtpPort: smtp.port, rounds, messages, connections: 4, timeoutMs: 120_000 }))
} finally {
  await omnidesk.close()
  await serverDb?.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}

const rows = results.map((m) => {
  const ours = median(m.ours)
  const baseline = median(m.baseline)
  return `| ${m.name} | ${fmt(ours)} ${m.unit} | ${fmt(baseline)} ${m.unit} | ${(ours / baseline).toFixed(3)} (1 : ${fmt(baseline / ours)}) |`
})
console.log('\n| benchmark | Omnidesk (median) | baseline (median) | ratio Omnidesk / baseline |')
console.log('| --- | --- | --- | --- |')
console.log(rows.join('\n'))
for (const m of results) {
  console.log(`\n${m.name}`)
  console.log(`  Omnidesk: ${m.oursLabel}\n    rounds: ${m.ours.map(fmt).join(', ')} ${m.unit}`)
  console.log(`  baseline: ${m.baselineLabel}\n    rounds: ${m.baseline.map(fmt).join(', ')} ${m.unit}`)
  for (const n of m.notes) console.log(`  ${n}`)
}
console.log(`\nwhole run: ${((performance.now() - started) / 1000).toFixed(0)} s, load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
