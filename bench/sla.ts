/**
 * SLA timer throughput, each figure against a baseline measured in the same run:
 *
 * 1. Clock computations/s: the clock engine evaluating a case (received,
 *    reply, pending, customer message; warnings and escalations) on a Paris
 *    09:00–17:00 calendar with French public holidays — against the same
 *    engine on plain elapsed time (what the calendar costs).
 * 2. Due checks/s: conversations whose next SLA check is due, re-evaluated in
 *    their own tenant transaction each (what a timer job does: lock the clock
 *    row, read the case and policies, evaluate, store crossings and outbox
 *    events, save) — against the floor of one transaction per conversation
 *    that locks and updates the same row and nothing else.
 *
 * Quick size by default; `SLA_BENCH_CASES` and `SLA_BENCH_EVALS` make it bigger.
 * `DATABASE_URL` runs part 2 on PostgreSQL instead of a throwaway PGlite.
 * Usage: node --import tsx bench/sla.ts
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { build } from '../src/app.ts'
import { compileCalendar, elapsedTime, evaluate, manualClock } from '../src/modules/sla/index.ts'
import { policyRulesSchema, type Fact } from '../src/modules/sla/sla.types.ts'
import { loadConfig } from '../src/platform/config.ts'
import { openDatabase } from '../src/platform/db/database.ts'
import { withTenant } from '../src/platform/db/tenant.ts'
import { clientFor } from '../test/harness.ts'
import { createThrowawayDatabase } from '../test/server-database.ts'
import { fmt, median } from './lib.ts'

const CASES = Number(process.env.SLA_BENCH_CASES ?? 200)
const EVALS = Number(process.env.SLA_BENCH_EVALS ?? 5000)

function rate(n: number, fn: () => void, rounds = 3): number {
  const rates: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) fn()
    rates.push(n / ((performance.now() - t0) / 1000))
  }
  return median(rates)
}

function clockComputations() {
  const rules = policyRulesSchema.parse({
    targets: { firstResponseMinutes: 60, nextResponseMinutes: 120, resolutionMinutes: 960 },
    warnings: [{ percent: 80 }],
    escalations: [{ percent: 100, actions: [{ type: 'notify_assignee' }] }, { percent: 150, actions: [{ type: 'raise_priority' }] }],
  })
  const paris = compileCalendar({
    timeZone: 'Europe/Paris',
    weeklyHours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '12:30'], ['13:30', '17:00']]])),
    holidays: [],
    holidayRegion: 'FR',
  })
  // Cases spread over a year, so calendar days are not all cached hits.
  const base = Date.UTC(2026, 0, 1)
  const cases: Fact[][] = Array.from({ length: 500 }, (_, i) => {
    const t = base + i * 17 * 3600_000
    return [
      { at: new Date(t), type: 'received' },
      { at: new Date(t + 95 * 60_000), type: 'agent_reply' },
      { at: new Date(t + 96 * 60_000), type: 'status', status: 'pending' },
      { at: new Date(t + 30 * 3600_000), type: 'customer_message' },
      { at: new Date(t + 30 * 3600_000), type: 'status', status: 'open' },
    ]
  })
  // Each case evaluated three days after it was received (its resolution clock still running).
  const untils = cases.map((c) => new Date(c[0]!.at.getTime() + 3 * 86_400_000))
  let k = 0
  const calendar = rate(EVALS, () => {
    const i = k++ % cases.length
    evaluate(rules, paris, cases[i]!, untils[i]!)
  })
  k = 0
  const elapsed = rate(EVALS, () => {
    const i = k++ % cases.length
    evaluate(rules, elapsedTime, cases[i]!, untils[i]!)
  })
  return { evaluations: EVALS, calendarPerSecond: Math.round(calendar), elapsedPerSecond: Math.round(elapsed), ratio: Number((calendar / elapsed).toFixed(2)) }
}

async function dueChecks() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-sla-bench-'))
  const serverDb = process.env.DATABASE_URL ? await createThrowawayDatabase(process.env.DATABASE_URL) : null
  const adminToken = `bench-${randomBytes(12).toString('hex')}`
  const config = loadConfig({ DATA_DIR: dataDir, OMNIDESK_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'silent', API_RATE_LIMIT: '1000000', ...(serverDb && { DATABASE_URL: serverDb.url }) })
  const database = await openDatabase({ url: config.databaseUrl, dataDir, poolSize: 4 })
  const clock = manualClock('2026-11-16T09:00:00Z')
  const app = await build({ config, database, slaClock: clock })
  try {
    await app.start()
    const res = await clientFor(app, adminToken).post('/api/v1/workspaces', { name: 'SLA bench' })
    const ws = clientFor(app, res.body.token)
    const wsId = res.body.workspace.id as string
    await ws.post('/api/v1/sla-policies', { name: 'Bench', targets: { firstResponseMinutes: 30, resolutionMinutes: 480 }, warnings: [{ percent: 50 }] })
    for (let i = 0; i < CASES; i += 8)
      await Promise.all(Array.from({ length: Math.min(8, CASES - i) }, (_, j) => ws.post('/api/v1/conversations', { contact: { email: `c${i + j}@bench.test` }, message: { text: 'Help' } })))
    // Every case's clock row, with its first wake-up, before measuring.
    const withTimer = async () =>
      Number((await database.db.selectFrom('conversation_slas').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', wsId).where('next_check_at', 'is not', null).executeTakeFirstOrThrow()).n)
    for (let i = 0; i < 600 && (await withTimer()) < CASES; i++) {
      await app.platform.dispatcher.drain()
      await new Promise((r) => setTimeout(r, 100))
    }

    // Baseline: one tenant transaction per conversation, locking and touching the same row.
    const ids = (await database.db.selectFrom('conversation_slas').select('conversation_id').where('workspace_id', '=', wsId).execute()).map((r) => r.conversation_id)
    const t0 = performance.now()
    for (const id of ids)
      await withTenant(database.db, wsId, async (trx) => {
        await trx.selectFrom('conversation_slas').select('conversation_id').where('workspace_id', '=', wsId).where('conversation_id', '=', id).forUpdate().executeTakeFirst()
        await trx.updateTable('conversation_slas').set({ updated_at: new Date() }).where('workspace_id', '=', wsId).where('conversation_id', '=', id).execute()
      })
    const floorPerSecond = ids.length / ((performance.now() - t0) / 1000)

    // Every case's 50 % warning (15 min) falls due: one due check each, crossing and outbox event included.
    clock.set('2026-11-16T09:16:00Z')
    const t1 = performance.now()
    let processed = 0
    for (let n = await app.services.sla.runDueChecks(); n > 0; n = await app.services.sla.runDueChecks()) processed += n
    const perSecond = processed / ((performance.now() - t1) / 1000)
    const warnings = await database.db.selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', wsId).where('type', '=', 'sla.warning').executeTakeFirstOrThrow()
    const notDue = await database.db.selectFrom('conversation_slas').select(['next_check_at']).where('workspace_id', '=', wsId).where('next_check_at', '<=', clock.now()).execute()
    return {
      backend: database.backend,
      cases: ids.length,
      /** Rows still due after the run (should be 0). */
      leftDue: notDue.length,
      processed,
      warningsEmitted: Number(warnings.n),
      dueChecksPerSecond: Math.round(perSecond),
      floorPerSecond: Math.round(floorPerSecond),
      ratio: Number((perSecond / floorPerSecond).toFixed(2)),
    }
  } finally {
    await app.close()
    await database.close()
    await serverDb?.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

const computations = clockComputations()
console.log(`clock computations/s: ${fmt(computations.calendarPerSecond)} on a calendar, ${fmt(computations.elapsedPerSecond)} on elapsed time (ratio ${computations.ratio})`)
const due = await dueChecks()
console.log(`due checks/s (${due.backend}, ${due.cases} cases): ${fmt(due.dueChecksPerSecond)} vs floor ${fmt(due.floorPerSecond)} (ratio ${due.ratio}); ${due.warningsEmitted} warnings emitted`)
console.log(JSON.stringify({ when: new Date().toISOString(), cpus: os.cpus().length, computations, due }, null, 2))
