import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { StatisticsKeeper } from '../src/platform/db/statistics.ts'
import { createLogger } from '../src/platform/observability/logger.ts'
import { useTestApp } from './harness.ts'

const t = await useTestApp()
const onPglite = t.database.backend === 'pglite'
const db = t.database.db

test('the embedded database has planner statistics after migrations (PGlite runs no autovacuum)', { skip: !onPglite && 'PostgreSQL analyzes by itself' }, async () => {
  // reltuples is -1 until a table was first analyzed (or vacuumed).
  const r = await sql<{ relname: string; reltuples: number }>`
    select relname, reltuples from pg_class where relname in ('conversations', 'contacts', 'audit_events', 'events') order by relname`.execute(db)
  assert.equal(r.rows.length, 4)
  for (const row of r.rows) assert.notEqual(Number(row.reltuples), -1, `${row.relname} was analyzed`)
})

/** A table of `rows` rows, each updated `times` times: `rows × times` dead row versions. */
async function bloat(table: string, rows: number, times: number) {
  await sql`create table ${sql.table(table)} (id int primary key, n int not null)`.execute(db)
  await sql`insert into ${sql.table(table)} select g, 0 from generate_series(1, ${rows}) g`.execute(db)
  for (let i = 0; i < times; i++) await sql`update ${sql.table(table)} set n = n + 1`.execute(db)
}

async function tableStats(table: string) {
  await sql`select pg_stat_force_next_flush()`.execute(db) // this session's counters reach the view after this statement
  const r = await sql<{ dead: string; vacuumed: Date | null }>`
    select n_dead_tup::text as dead, last_vacuum as vacuumed from pg_stat_user_tables where relname = ${table}`.execute(db)
  const row = r.rows[0]
  assert.ok(row, `${table} has statistics`)
  return { dead: Number(row.dead), vacuumed: row.vacuumed }
}

test('the keeper vacuums tables whose dead rows grew, one table per tick, most dead first (PGlite runs no autovacuum)', { skip: !onPglite && 'autovacuum' }, async () => {
  const keeper = new StatisticsKeeper(t.database, createLogger('silent'))
  await bloat('bloat_small', 100, 3) // 300 dead > 50 + 0.2 × 100
  await bloat('bloat_large', 200, 5) // 1,000 dead
  await bloat('bloat_none', 1000, 0) // no dead rows at all
  await sql`update bloat_none set n = 1 where id <= 100`.execute(db) // 100 dead < 50 + 0.2 × 1,000
  // Page pruning removes some dead versions as updates go: the counts are what the view says.
  const large = (await tableStats('bloat_large')).dead
  const small = (await tableStats('bloat_small')).dead
  assert.ok(small > 50 + 0.2 * 100 && large > small, `dead rows: large ${large}, small ${small}`)

  // Earlier tests' tables may have dead rows of their own: tick until the two bloated ones are done.
  const vacuumed: string[] = []
  for (let i = 0; i < 50 && vacuumed.length < 2; i++) {
    const table = await keeper.vacuumTick({ force: true }) // background work of the app may hold the session now and then
    if (table === null) break
    if (table.includes('bloat_')) vacuumed.push(table)
  }
  assert.deepEqual(vacuumed, ['public.bloat_large', 'public.bloat_small'], 'one table per tick, the one with most dead rows first')

  for (const table of ['bloat_large', 'bloat_small']) {
    const after = await tableStats(table)
    assert.equal(after.dead, 0, `${table}: dead rows cleared`)
    assert.ok(after.vacuumed, `${table}: last_vacuum set`)
  }
  const untouched = await tableStats('bloat_none')
  assert.equal(untouched.vacuumed, null, 'a table under the threshold is left alone')
  assert.ok(untouched.dead > 0 && untouched.dead <= 100)
  assert.equal(await keeper.vacuumTick(), null, 'nothing left past the threshold')
  assert.deepEqual((await keeper.vacuumCandidates()).map((c) => c.table), [])
})

/** A transaction that holds the pool's session until released. */
function holdSession() {
  let release!: () => void
  let holding!: () => void
  const released = new Promise<void>((r) => (release = r))
  const started = new Promise<void>((r) => (holding = r))
  const done = db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx)
    holding()
    await released
  })
  return { holding: started, release: () => (release(), done) }
}

test('the keeper waits for a quiet session before a VACUUM, and does not wait forever', { skip: !onPglite && 'autovacuum' }, async () => {
  const keeper = new StatisticsKeeper(t.database, createLogger('silent'), { vacuumMaxDeferrals: 2 })
  await bloat('bloat_busy', 100, 2)
  // A transaction holds PGlite's only session: the tick does not queue a VACUUM behind it.
  const first = holdSession()
  await first.holding
  // Awaited after the release, so a tick that did not wait fails the test instead of hanging it.
  const ticks = [keeper.vacuumTick(), keeper.vacuumTick()]
  await first.release()
  assert.deepEqual(await Promise.all(ticks), [null, null], 'put off twice')
  assert.equal((await tableStats('bloat_busy')).vacuumed, null)
  // Busy a third time: put off twice already, it runs anyway (once the session is free).
  const second = holdSession()
  await second.holding
  const tick = keeper.vacuumTick()
  await second.release()
  assert.equal(await tick, 'public.bloat_busy')
  assert.ok((await tableStats('bloat_busy')).vacuumed)
})

test('on PostgreSQL the keeper leaves dead rows to autovacuum', { skip: onPglite && 'PGlite' }, async () => {
  const keeper = new StatisticsKeeper(t.database, createLogger('silent'))
  assert.deepEqual(await keeper.vacuumCandidates(), [])
  assert.equal(await keeper.vacuumTick({ force: true }), null)
})

test('on PGlite the first ANALYZEs of a process come early and then further apart, up to the interval', { skip: !onPglite && 'PostgreSQL analyzes by itself' }, async () => {
  let runs = 0
  const keeper = new StatisticsKeeper(t.database, createLogger('silent'), { everyWrites: 1000, firstAfterWrites: 100 })
  keeper.analyze = async () => {
    runs++
    return []
  }
  const write = async (n: number) => {
    for (let i = 0; i < n; i++) keeper.noteWrites(1)
    await new Promise((r) => setImmediate(r))
  }
  await write(99)
  assert.equal(runs, 0, 'not before the first threshold')
  await write(1)
  assert.equal(runs, 1, 'after 100 writes')
  await write(199)
  assert.equal(runs, 1)
  await write(1)
  assert.equal(runs, 2, 'then after 200 more')
  await write(400)
  assert.equal(runs, 3, 'then 400')
  await write(800)
  assert.equal(runs, 4, 'then 800')
  await write(999)
  assert.equal(runs, 4, 'then never more often than everyWrites')
  await write(1)
  assert.equal(runs, 5)
})

test('the keeper analyzes the tables changed past the rule, one statement each, and leaves the rest alone (on PostgreSQL too, early on)', async () => {
  const keeper = new StatisticsKeeper(t.database, createLogger('silent'))
  // One connection, whose counters reach the statistics views when this flush asks (PostgreSQL has several).
  const client = await t.database.pool.connect()
  try {
    await client.query('create table stats_busy (id int primary key, n int not null)')
    await client.query('create table stats_quiet (id int primary key, n int not null)')
    await client.query('analyze stats_busy, stats_quiet')
    await client.query('insert into stats_quiet select g, 0 from generate_series(1, 20) g') // 20 < 50 + 0.1 × 0
    await client.query('insert into stats_busy select g, 0 from generate_series(1, 500) g') // 500 > 50
    await client.query('select pg_stat_force_next_flush()')
  } finally {
    client.release()
  }
  // Earlier tests' tables may be past the rule too: run until nothing is left, and see what ran.
  const analyzed: string[] = []
  for (let i = 0; i < 5; i++) {
    const tables = await keeper.analyze()
    if (tables.length === 0) break
    analyzed.push(...tables)
  }
  assert.ok(analyzed.includes('public.stats_busy'), `analyzed: ${analyzed.join(', ')}`)
  assert.ok(!analyzed.includes('public.stats_quiet'), 'a table under the rule is left alone')
  const r = await sql<{ relname: string; reltuples: number }>`select relname, reltuples from pg_class where relname in ('stats_busy', 'stats_quiet') order by relname`.execute(db)
  assert.deepEqual(r.rows.map((x) => [x.relname, Number(x.reltuples)]), [['stats_busy', 500], ['stats_quiet', 0]])
  assert.ok(!(await keeper.analyzeCandidates()).includes('public.stats_busy'), 'analyzed: no longer a candidate')
})

test('on PostgreSQL the keeper makes the early ANALYZEs of a process only, then leaves them to autovacuum', { skip: onPglite && 'PGlite: always' }, async () => {
  let runs = 0
  const keeper = new StatisticsKeeper(t.database, createLogger('silent'), { everyWrites: 400, firstAfterWrites: 100 })
  const analyze = keeper.analyze.bind(keeper)
  keeper.analyze = async () => {
    runs++
    return analyze()
  }
  for (let i = 0; i < 100 + 200 + 400; i++) keeper.noteWrites(1)
  await new Promise((r) => setImmediate(r))
  assert.equal(runs, 3, 'after 100, 200 more and 400 more writes')
  for (let i = 0; i < 2000; i++) keeper.noteWrites(1)
  assert.equal(runs, 3, 'none once the interval reached everyWrites')
  assert.deepEqual(await analyze(), [], 'and an explicit call analyzes nothing')
})

test('on PGlite a table is analyzed whole the first time, then only its narrow columns (long text and JSON keep their statistics)', { skip: !onPglite && 'PostgreSQL analyzes by itself' }, async () => {
  const keeper = new StatisticsKeeper(t.database, createLogger('silent'), { analyzeGapMs: 0 })
  await sql`create table stats_wide (id int primary key, kind text not null, body text not null, doc jsonb not null)`.execute(db)
  await sql`analyze stats_wide`.execute(db)
  // A short text column, a long one, and JSON.
  await sql`insert into stats_wide select g, 'a', repeat('x', 200) || g, jsonb_build_object('n', g) from generate_series(1, 300) g`.execute(db)
  const stats = async () =>
    Object.fromEntries(
      (await sql<{ attname: string; vals: string | null }>`select attname, most_common_vals::text as vals from pg_stats where tablename = 'stats_wide'`.execute(db)).rows.map((r) => [r.attname, r.vals]),
    )
  const analyzeUntil = async (table: string) => {
    for (let i = 0; i < 5; i++) if ((await keeper.analyze()).includes(table)) return
    assert.fail(`${table} was not analyzed`)
  }
  await analyzeUntil('public.stats_wide')
  const first = await stats()
  assert.deepEqual(Object.keys(first).sort(), ['body', 'doc', 'id', 'kind'], 'the first run took every column')
  assert.equal(first.kind, '{a}')
  assert.deepEqual(await keeper.narrowColumns('public.stats_wide'), ['id', 'kind'])

  // Every row changes: the narrow column's statistics follow, the long text's stay as they were.
  await sql`update stats_wide set kind = 'b', body = 'short'`.execute(db)
  await analyzeUntil('public.stats_wide')
  const second = await stats()
  assert.equal(second.kind, '{b}', 'the narrow column was analyzed again')
  assert.equal(second.body, first.body, 'the long text column was left alone')
  assert.notEqual(second.body, '{short}')
})
