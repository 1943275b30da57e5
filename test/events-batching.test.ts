import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { build, type Omnidesk } from '../src/app.ts'
import { TOGETHER } from '../src/platform/events/dispatcher.ts'
import { appendEvent, type DatabaseListener, type DomainEvent } from '../src/platform/events/events.ts'
import { recordAudit } from '../src/platform/audit/audit.ts'
import { systemActor } from '../src/platform/auth/actor.ts'
import { timelineEventTypes } from '../src/modules/conversations/index.ts'
import { pruneDispatchedEvents } from '../src/platform/events/retention.ts'
import { appendTestEvent } from './events-helpers.ts'
import { clientFor, startTestApp } from './harness.ts'

// Listeners without database effects, and outbox pruning, through the real dispatcher.
const t = await startTestApp()
const instances: Omnidesk[] = []
after(async () => {
  for (const o of instances) await o.close()
  await t.close()
})

async function instance(): Promise<Omnidesk> {
  const o = await build({ config: t.config, database: t.database })
  instances.push(o)
  return o
}

async function newWorkspace(omnidesk: Omnidesk): Promise<string> {
  const res = await clientFor(omnidesk, t.adminToken).post('/api/v1/workspaces', { name: `Batch ${Math.random().toString(36).slice(2, 8)}` })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.workspace.id as string
}

const append = appendTestEvent

const runsOf = async (ids: string[], listener: string) =>
  (await t.database.db.selectFrom('event_listener_runs').select('event_id').where('event_id', 'in', ids).where('listener_id', '=', listener).execute()).length

test('a listener without database effects runs outside a transaction, once per event, and its runs are recorded', async () => {
  const o = await instance()
  const seen: DomainEvent[] = []
  let inTransaction = 0
  o.platform.dispatcher.register({
    id: 'test.plain',
    types: ['batch.tested'],
    database: false,
    async handle(event) {
      // A transaction would hold PGlite's one connection: a pool query would then wait forever. Count open ones instead.
      const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where state like 'idle in transaction%' and datname = current_database()`.execute(t.database.db)
      inTransaction += Number(r.rows[0]?.n ?? 0)
      seen.push(event)
    },
  })
  const ws = await newWorkspace(o)
  const ids = [await append(o, ws, 'batch.tested'), await append(o, ws, 'batch.tested'), await append(o, ws, 'batch.tested')]
  await o.platform.dispatcher.drain()
  assert.deepEqual(seen.map((e) => e.id).filter((id) => ids.includes(id)), ids, 'in id order, once each')
  assert.equal(inTransaction, 0)
  assert.equal(await runsOf(ids, 'test.plain'), 3)
  // Recorded: another pass (or a restarted process) does not run it again.
  await o.platform.dispatcher.drain()
  assert.equal(seen.filter((e) => ids.includes(e.id)).length, 3)
})

test('a failing plain listener is retried without repeating the listeners that succeeded', async () => {
  const o = await instance()
  let okRuns = 0
  let failing = true
  o.platform.dispatcher.register({ id: 'test.plain-ok', types: ['retry.tested'], database: false, handle: async () => void okRuns++ })
  o.platform.dispatcher.register({
    id: 'test.plain-flaky',
    types: ['retry.tested'],
    database: false,
    async handle() {
      if (failing) throw new Error('down')
    },
  })
  const ws = await newWorkspace(o)
  const id = await append(o, ws, 'retry.tested')
  await o.platform.dispatcher.drain()
  const row = await t.database.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  assert.equal(row.dispatched_at, null)
  assert.match(row.last_error ?? '', /test.plain-flaky: down/)
  failing = false
  await t.database.db.updateTable('events').set({ next_attempt_at: null }).where('id', '=', id).execute()
  await o.platform.dispatcher.drain()
  assert.equal(okRuns, 1, 'the listener that succeeded is not run again')
  assert.ok((await t.database.db.selectFrom('events').select('dispatched_at').where('id', '=', id).executeTakeFirstOrThrow()).dispatched_at)
})

test('dispatched events older than the retention are pruned; timeline events and undispatched ones are kept', async () => {
  const o = await instance()
  const ws = await newWorkspace(o)
  const old = await append(o, ws, 'prune.old')
  const timeline = await append(o, ws, 'conversation.status-changed')
  const bounced = await append(o, ws, 'email.bounced')
  const recent = await append(o, ws, 'prune.recent')
  const pending = await append(o, ws, 'prune.pending')
  await t.database.db.insertInto('event_listener_runs').values([{ event_id: old, listener_id: 'test.x' }, { event_id: timeline, listener_id: 'test.x' }]).execute()
  await t.database.db.updateTable('events').set({ dispatched_at: sql`now() - interval '8 days'` }).where('id', 'in', [old, timeline, bounced]).execute()
  await t.database.db.updateTable('events').set({ dispatched_at: sql`now() - interval '6 days'` }).where('id', '=', recent).execute()
  await pruneDispatchedEvents(t.database.db, 7, timelineEventTypes)
  const left = (await t.database.db.selectFrom('events').select('id').where('id', 'in', [old, timeline, bounced, recent, pending]).execute()).map((r) => r.id).sort()
  assert.deepEqual(left, [timeline, bounced, recent, pending].sort())
  assert.equal(await runsOf([old, timeline], 'test.x'), 0, 'the bookkeeping of old dispatched events goes too')
})

const embedded = t.database.backend === 'pglite'

test('database listeners of consecutive events share one transaction on PGlite (one each on PostgreSQL); a failing one falls back to a transaction each and is not run twice', async () => {
  const o = await instance()
  const txids: Array<{ listener: string; event: string; txid: string }> = []
  let flakyCalls = 0
  const txid = async (trx: Parameters<DatabaseListener['handle']>[1]) => (await sql<{ id: string }>`select txid_current()::text as id`.execute(trx)).rows[0]?.id as string
  o.platform.dispatcher.register({
    id: 'test.db-ok',
    types: ['together.tested'],
    async handle(event, trx) {
      txids.push({ listener: 'ok', event: event.id, txid: await txid(trx) })
    },
  })
  o.platform.dispatcher.register({
    id: 'test.db-flaky',
    types: ['together.tested'],
    async handle(event, trx) {
      if (event.payload.fail) {
        flakyCalls++
        throw new Error('flaky is down')
      }
      txids.push({ listener: 'flaky', event: event.id, txid: await txid(trx) })
    },
  })
  const ws = await newWorkspace(o)
  const ids = [await append(o, ws, 'together.tested'), await append(o, ws, 'together.tested'), await append(o, ws, 'together.tested')]
  await o.platform.dispatcher.drain()
  const mine = txids.filter((r) => ids.includes(r.event))
  assert.equal(mine.length, 6, 'each listener once per event')
  if (embedded) assert.equal(new Set(mine.map((r) => r.txid)).size, 1, 'one transaction for all of them')
  else assert.equal(new Set(mine.map((r) => r.txid)).size, 6, 'PostgreSQL: a transaction each (lock order)')
  assert.equal(await runsOf(ids, 'test.db-ok'), 3)
  assert.equal(await runsOf(ids, 'test.db-flaky'), 3)

  txids.length = 0
  const more = [await appendTestEvent(o, ws, 'together.tested'), await appendTestEvent(o, ws, 'together.tested', { fail: true }), await appendTestEvent(o, ws, 'together.tested')]
  await o.platform.dispatcher.drain()
  assert.equal(flakyCalls, 1, 'the failing listener ran once in this pass, not again after the fallback')
  const after = txids.filter((r) => more.includes(r.event))
  const okCalls = after.filter((r) => r.listener === 'ok')
  assert.deepEqual([...new Set(okCalls.map((r) => r.event))], more)
  const lastTx = more.map((e) => okCalls.filter((r) => r.event === e).at(-1)?.txid)
  assert.equal(new Set(lastTx).size, 3, 'after the shared transaction rolled back, each ran again in a transaction of its own')
  assert.equal(await runsOf(more, 'test.db-ok'), 3)
  assert.equal(await runsOf(more, 'test.db-flaky'), 2, 'no run recorded for the failed one')
  const failedRow = await t.database.db.selectFrom('events').selectAll().where('id', '=', more[1] as string).executeTakeFirstOrThrow()
  assert.equal(failedRow.dispatched_at, null)
  assert.match(failedRow.last_error ?? '', /test\.db-flaky: flaky is down/)
})

test(`on PGlite the listeners of up to ${TOGETHER} consecutive events of a workspace share a transaction, and no more`, async () => {
  const o = await instance()
  const txids = new Map<string, string>()
  o.platform.dispatcher.register({
    id: 'test.db-chunk',
    types: ['chunk.tested'],
    async handle(event, trx) {
      txids.set(event.id, (await sql<{ id: string }>`select txid_current()::text as id`.execute(trx)).rows[0]?.id as string)
    },
  })
  const ws = await newWorkspace(o)
  await o.platform.dispatcher.drain()
  const ids: string[] = []
  for (let i = 0; i < TOGETHER + 1; i++) ids.push(await append(o, ws, 'chunk.tested'))
  await o.platform.dispatcher.drain()
  assert.equal(await runsOf(ids, 'test.db-chunk'), TOGETHER + 1)
  const tx = ids.map((id) => txids.get(id))
  if (embedded) {
    assert.equal(new Set(tx.slice(0, TOGETHER)).size, 1, `the first ${TOGETHER} in one transaction`)
    assert.notEqual(tx[TOGETHER], tx[0], 'the next one in another')
  } else assert.equal(new Set(tx).size, TOGETHER + 1, 'PostgreSQL: a transaction each (no handleMany)')
})

test('a listener with handleMany gets the events of a shared transaction in one call; when it fails, each event is retried on its own and the others\' effects are not repeated', async () => {
  const o = await instance()
  const calls: string[][] = []
  let failing = true
  o.platform.dispatcher.register({
    id: 'test.effect',
    types: ['many.tested'],
    // A database effect: an event row per handled event, so a repeat would show.
    async handle(event, trx) {
      await appendEvent(trx, systemActor(event.workspaceId, 'effect'), { type: 'many.effect', payload: { of: event.id } })
    },
  })
  o.platform.dispatcher.register({
    id: 'test.many',
    types: ['many.tested'],
    async handle(event) {
      calls.push([event.id])
      if (failing && event.payload.fail) throw new Error('many is down')
    },
    async handleMany(events) {
      calls.push(events.map((e) => e.id))
      if (failing && events.some((e) => e.payload.fail)) throw new Error('many is down')
    },
  })
  const ws = await newWorkspace(o)
  const ids = [await appendTestEvent(o, ws, 'many.tested'), await appendTestEvent(o, ws, 'many.tested', { fail: true }), await appendTestEvent(o, ws, 'many.tested')]
  await o.platform.dispatcher.drain()
  if (embedded) assert.deepEqual(calls[0], ids, 'one call with all three')
  else assert.ok(calls.every((c) => c.length === 1), 'PostgreSQL: one event per call')
  assert.deepEqual(calls.filter((c) => c.length === 1).map((c) => c[0]), ids, 'then (or on PostgreSQL only) each on its own, in order')
  assert.equal(await runsOf(ids, 'test.many'), 2, 'no run recorded for the failed one')
  assert.equal(await runsOf(ids, 'test.effect'), 3)
  const effects = async () =>
    (await t.database.db.selectFrom('events').select('payload').where('workspace_id', '=', ws).where('type', '=', 'many.effect').execute()).map((r) => r.payload.of as string).sort()
  assert.deepEqual(await effects(), [...ids].sort(), 'each effect once: the rolled-back shared transaction left none')

  failing = false
  calls.length = 0
  await t.database.db.updateTable('events').set({ next_attempt_at: null }).where('id', '=', ids[1] as string).execute()
  await o.platform.dispatcher.drain()
  assert.deepEqual(calls, [[ids[1]]], 'only the failed event, once')
  assert.equal(await runsOf(ids, 'test.many'), 3)
  assert.deepEqual(await effects(), [...ids].sort(), 'the other listener is not run again')
})

test('a listener that does not accept an event is neither run nor recorded for it', async () => {
  const o = await instance()
  let calls = 0
  o.platform.dispatcher.register({
    id: 'test.picky',
    types: ['picky.tested'],
    accepts: (event) => event.payload.wanted === true,
    async handle() {
      calls++
    },
  })
  const ws = await newWorkspace(o)
  const skipped = await appendTestEvent(o, ws, 'picky.tested', { wanted: false })
  const wanted = await appendTestEvent(o, ws, 'picky.tested', { wanted: true })
  await o.platform.dispatcher.drain()
  assert.equal(calls, 1)
  assert.equal(await runsOf([skipped], 'test.picky'), 0)
  assert.equal(await runsOf([wanted], 'test.picky'), 1)
  const rows = await t.database.db.selectFrom('events').select('dispatched_at').where('id', 'in', [skipped, wanted]).execute()
  assert.ok(rows.every((r) => r.dispatched_at), 'both dispatched')
})

test('a p.tx transaction writes its events and audit entries at commit, in the order they were recorded; none when it rolls back', async () => {
  const o = await instance()
  const ws = await newWorkspace(o)
  const actor = systemActor(ws, 'deferred test')
  await o.platform.tx(actor, async (trx) => {
    for (const type of ['deferred.first', 'deferred.second', 'deferred.third']) {
      await appendEvent(trx, actor, { type })
      await recordAudit(trx, actor, { action: type, entityType: 'test' })
    }
    // Not written yet: they go in one statement just before the commit.
    assert.equal((await trx.selectFrom('events').select('id').where('workspace_id', '=', ws).where('type', 'like', 'deferred.%').execute()).length, 0)
  })
  const events = await t.database.db.selectFrom('events').select(['id', 'type']).where('workspace_id', '=', ws).where('type', 'like', 'deferred.%').orderBy('id').execute()
  assert.deepEqual(events.map((e) => e.type), ['deferred.first', 'deferred.second', 'deferred.third'])
  const audit = await t.database.db.selectFrom('audit_events').select(['action']).where('workspace_id', '=', ws).where('action', 'like', 'deferred.%').orderBy('id').execute()
  assert.deepEqual(audit.map((a) => a.action), ['deferred.first', 'deferred.second', 'deferred.third'])
  await assert.rejects(
    o.platform.tx(actor, async (trx) => {
      await appendEvent(trx, actor, { type: 'deferred.rolled-back' })
      await recordAudit(trx, actor, { action: 'deferred.rolled-back', entityType: 'test' })
      throw new Error('boom')
    }),
    /boom/,
  )
  assert.equal((await t.database.db.selectFrom('events').select('id').where('workspace_id', '=', ws).where('type', '=', 'deferred.rolled-back').execute()).length, 0)
  assert.equal((await t.database.db.selectFrom('audit_events').select('id').where('workspace_id', '=', ws).where('action', '=', 'deferred.rolled-back').execute()).length, 0)
})
