import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { build, type Omnidesk } from '../src/app.ts'
import { systemActor } from '../src/platform/auth/actor.ts'
import { appendEvent, type DomainEvent } from '../src/platform/events/events.ts'
import { timelineEventTypes } from '../src/modules/conversations/index.ts'
import { pruneDispatchedEvents } from '../src/platform/events/retention.ts'
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

const append = (omnidesk: Omnidesk, workspaceId: string, type: string) => {
  const actor = systemActor(workspaceId, 'batching test')
  return omnidesk.platform.tx(actor, (trx) => appendEvent(trx, actor, { type }))
}

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
