import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { withSystem, withTenant } from '../src/platform/db/tenant.ts'
import { createEngine, lockRouting } from '../src/modules/routing/routing.engine.ts'
import * as repo from '../src/modules/routing/routing.repository.ts'
import { startTestApp } from '../test/harness.ts'

/**
 * `npm run bench:routing [-- --quick] [-- --backend pglite|postgres]`: routing
 * decisions per second and their latency with many online agents and a deep
 * backlog, measured against the bare candidate query in the same run (the
 * floor: a decision can never be cheaper than finding its candidates).
 *
 * Full size (the default): 1,000 online agents (10 api seats each) and 10,000
 * waiting cases, two in three with an SLA due time on their entry;
 * --quick: 100 agents and 1,000 cases. The ratio of a decision to the
 * candidate query (the baseline, same run) is printed at the end. Agents, cases and queue entries are
 * written with bulk SQL; each measured decision is one tenant transaction
 * that takes the routing lock and routes the next waiting case, as a drain does
 * (the candidate query, scoring, the conversation's assignment with its event
 * and audit entry, and the decision record).
 * PostgreSQL uses a throwaway database on DATABASE_URL (or --database-url).
 */
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'pglite' },
    'database-url': { type: 'string' },
    // Override one size (e.g. a deep backlog with few agents).
    agents: { type: 'string' },
    cases: { type: 'string' },
    samples: { type: 'string' },
  },
})
const quick = args.quick as boolean
const agents = Number(args.agents ?? (quick ? 100 : 1000))
const cases = Number(args.cases ?? (quick ? 1000 : 10_000))
const samples = Number(args.samples ?? (quick ? 200 : 1000))

if (args.backend === 'postgres') process.env.DATABASE_URL = args['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
else delete process.env.DATABASE_URL

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}
const summary = (name: string, ms: number[], wallMs: number) => ({
  name,
  n: ms.length,
  perSecond: Math.round((ms.length / wallMs) * 1000),
  p50: +pct(ms, 50).toFixed(2),
  p99: +pct(ms, 99).toFixed(2),
})

const t = await startTestApp({ LOG_LEVEL: 'warn' })
try {
  const ws = await t.workspace('routing bench')
  const wsId = ws.workspaceId
  const db = t.database.db
  const setupStart = performance.now()
  await withSystem(db, async (trx) => {
    const inbox = await trx.insertInto('inboxes').values({ workspace_id: wsId, name: 'bench', channel: 'api', config: '{}' }).returning('id').executeTakeFirstOrThrow()
    const contact = await trx.insertInto('contacts').values({ workspace_id: wsId, name: 'bench' }).returning('id').executeTakeFirstOrThrow()
    await sql`
      INSERT INTO users (workspace_id, email, name, role)
      SELECT ${wsId}, 'agent' || g || '@bench.test', 'Agent ' || g, 'agent' FROM generate_series(1, ${agents}) g`.execute(trx)
    await sql`
      INSERT INTO agent_routing (workspace_id, user_id, status, capacity, skills)
      SELECT workspace_id, id, 'online', '{"api": 10}', '[{"name":"english","level":3}]' FROM users WHERE workspace_id = ${wsId} AND role = 'agent'`.execute(trx)
    await sql`
      INSERT INTO routing_queues (workspace_id, name, position, strategy) VALUES (${wsId}, 'All', 0, 'least_loaded')`.execute(trx)
    await sql`
      INSERT INTO conversations (workspace_id, number, subject, contact_id, inbox_id, channel, priority, created_at)
      SELECT ${wsId}, g, 'case ' || g, ${contact.id}, ${inbox.id}, 'api', (ARRAY['low','normal','high','urgent'])[1 + g % 4], now() - make_interval(secs => g)
        FROM generate_series(1, ${cases}) g`.execute(trx)
    await sql`
      INSERT INTO routing_entries (workspace_id, conversation_id, queue_id, state, waiting_since, priority_rank, next_breach_at)
      SELECT c.workspace_id, c.id, q.id, 'waiting', c.created_at, ${repo.priorityRankSql},
             -- Two cases in three have a running SLA clock (the copy the SLA module keeps on the entry).
             CASE WHEN c.number % 3 <> 0 THEN c.created_at + make_interval(mins => (30 + c.number % 240)::int) END
        FROM conversations c, routing_queues q
       WHERE c.workspace_id = ${wsId} AND q.workspace_id = ${wsId}`.execute(trx)
    await sql`INSERT INTO conversation_counters (workspace_id, seq) VALUES (${wsId}, ${cases}) ON CONFLICT (workspace_id) DO UPDATE SET seq = excluded.seq`.execute(trx)
  })
  await sql`analyze`.execute(db)
  const setupMs = performance.now() - setupStart

  const p = t.omnidesk.platform
  const engine = createEngine(p, { conversations: t.omnidesk.services.conversations, timers: { started: () => false } })

  // The floor: the bare candidate query (online agents with capacity for the channel, and their load).
  const floor: number[] = []
  const floorStart = performance.now()
  for (let i = 0; i < samples; i++) {
    const s = performance.now()
    await withTenant(db, wsId, (trx) => repo.candidates(trx, wsId, { channel: 'api', teamId: null, exclude: [] }))
    floor.push(performance.now() - s)
  }
  const floorWall = performance.now() - floorStart

  // Routing decisions: the next waiting case in service order, routed and assigned, one transaction each.
  const decisions: number[] = []
  const decisionStart = performance.now()
  for (let i = 0; i < samples; i++) {
    const s = performance.now()
    await withTenant(db, wsId, async (trx) => {
      await lockRouting(trx, wsId)
      const [next] = await repo.waitingCases(trx, wsId, { limit: 1 })
      if (!next) throw new Error('the backlog ran dry')
      const r = await engine.routeOneInTx(trx, wsId, next)
      if (r !== 'assigned') throw new Error(`expected an assignment, got ${r}`)
    })
    decisions.push(performance.now() - s)
  }
  const decisionWall = performance.now() - decisionStart
  const recorded = await withTenant(db, wsId, (trx) =>
    trx.selectFrom('routing_decisions').select((eb) => eb.fn.avg<number>('duration_ms').as('avg')).where('workspace_id', '=', wsId).where('kind', '=', 'assigned').executeTakeFirstOrThrow(),
  )

  const result = {
    backend: t.database.backend,
    size: { agents, waitingCases: cases, samples },
    loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    setupSeconds: +(setupMs / 1000).toFixed(1),
    candidateQuery: summary('candidate query alone', floor, floorWall),
    decision: summary('routing decision (lock, candidates, score, assign, record)', decisions, decisionWall),
    recordedDecisionMsMean: +Number(recorded.avg).toFixed(2),
  }
  console.log(JSON.stringify(result, null, 2))
  console.log(
    `\n${result.backend}: ${agents} agents, ${cases} waiting — candidate query ${result.candidateQuery.perSecond}/s (p99 ${result.candidateQuery.p99} ms); ` +
      `decisions ${result.decision.perSecond}/s (p99 ${result.decision.p99} ms), ${(result.decision.p50 / result.candidateQuery.p50).toFixed(1)}× the floor at the median; ` +
      `load average ${result.loadAverage.join(' ')}`,
  )
} finally {
  await t.close()
}
