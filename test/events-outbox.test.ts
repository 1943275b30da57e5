import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { build, type Omnidesk } from '../src/app.ts'
import { systemActor } from '../src/platform/auth/actor.ts'
import { appendEvent, type DomainEvent } from '../src/platform/events/events.ts'
import { appendTestEvent } from './events-helpers.ts'
import { clientFor, startTestApp } from './harness.ts'

// The outbox guarantees, through the real dispatcher on a real database. The
// harness app is never started; instances built here share its database, the
// way a restarted process shares the data of the one that crashed.
const t = await startTestApp()
const instances: Omnidesk[] = []
after(async () => {
  for (const o of instances) await o.close()
  await t.close()
})

/** A second process on the same database. Nothing runs until a test drains its dispatcher. */
async function restart(): Promise<Omnidesk> {
  const o = await build({ config: t.config, database: t.database })
  instances.push(o)
  return o
}

/** A listener that records what it was given, and throws while `failing` is set. */
function recorder(omnidesk: Omnidesk, id: string, types: string[] | '*') {
  const seen: DomainEvent[] = []
  const state = { seen, failing: false }
  omnidesk.platform.dispatcher.register({
    id,
    types,
    async handle(event) {
      seen.push(event)
      if (state.failing) throw new Error(`${id} is down`)
    },
  })
  return state
}

const eventRow = (id: string) => t.database.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const runsOf = async (id: string) =>
  (await t.database.db.selectFrom('event_listener_runs').select('listener_id').where('event_id', '=', id).where('listener_id', 'like', 'test.%').execute())
    .map((r) => r.listener_id)
    .sort()

async function newWorkspace(omnidesk: Omnidesk) {
  const res = await clientFor(omnidesk, t.adminToken).post('/api/v1/workspaces', { name: `Outbox ${Math.random().toString(36).slice(2, 8)}` })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return { id: res.body.workspace.id as string, client: clientFor(omnidesk, res.body.token) }
}

const append = appendTestEvent

test('at least once: events written by a process that never dispatched them are delivered after a restart', async () => {
  const first = await build({ config: t.config, database: t.database })
  const ws = await newWorkspace(first)
  const user = await ws.client.post('/api/v1/users', { email: 'ops@example.com', name: 'Ops', role: 'agent' })
  assert.equal(user.status, 201, JSON.stringify(user.body))
  assert.equal((await ws.client.post('/api/v1/teams', { name: 'Ops' })).status, 201)
  // The "crash": the process goes away with its events still in the outbox.
  await first.close()

  const written = await t.database.db.selectFrom('events').select(['id', 'type', 'dispatched_at']).where('workspace_id', '=', ws.id).orderBy('id').execute()
  assert.ok(written.length >= 2, `the first process wrote events: ${JSON.stringify(written)}`)
  assert.ok(written.some((e) => e.type === 'workspace.created') && written.some((e) => e.type === 'user.created'))
  assert.ok(written.every((e) => e.dispatched_at === null), 'none was dispatched before the restart')

  const second = await restart()
  const log = recorder(second, 'test.outbox-log', '*')
  await second.platform.dispatcher.drain()

  const delivered = log.seen.filter((e) => e.workspaceId === ws.id)
  assert.deepEqual(delivered.map((e) => e.id), written.map((e) => e.id), 'every event, once, in outbox order')
  assert.ok(delivered.some((e) => e.type === 'user.created' && e.payload.userId === user.body.id && e.payload.role === 'agent'), 'with its payload')
  for (const e of written) {
    assert.notEqual((await eventRow(e.id)).dispatched_at, null)
    assert.ok((await runsOf(e.id)).includes('test.outbox-log'))
  }
})

test('a failing listener is retried later with backoff and does not hold up other listeners or later events', async () => {
  const omnidesk = instances[0] ?? (await restart())
  const flaky = recorder(omnidesk, 'test.flaky', ['test.flaky-happened'])
  const steady = recorder(omnidesk, 'test.steady', ['test.flaky-happened', 'test.later-happened'])
  const ws = await newWorkspace(omnidesk)
  flaky.failing = true
  const e1 = await append(omnidesk, ws.id, 'test.flaky-happened')
  const e2 = await append(omnidesk, ws.id, 'test.later-happened')
  await omnidesk.platform.dispatcher.drain()

  const failed = await eventRow(e1)
  assert.equal(failed.dispatched_at, null)
  assert.equal(failed.attempts, 1)
  assert.match(failed.last_error ?? '', /test\.flaky: test\.flaky is down/)
  // Backoff: 2^attempts seconds after the failed pass, which came after the event was written.
  assert.ok(failed.next_attempt_at && failed.next_attempt_at.getTime() >= failed.created_at.getTime() + 2000, 'retry scheduled with backoff')
  assert.deepEqual(await runsOf(e1), ['test.outbox-log', 'test.steady'], 'the other listeners ran and are recorded')
  assert.notEqual((await eventRow(e2)).dispatched_at, null, 'a later event was not blocked')
  assert.deepEqual(steady.seen.map((e) => e.id), [e1, e2])

  // Not due yet (pushed far out so the check does not depend on how fast this runs): a pass leaves it alone.
  await t.database.db.updateTable('events').set({ next_attempt_at: sql<Date>`now() + interval '1 hour'` }).where('id', '=', e1).execute()
  await omnidesk.platform.dispatcher.drain()
  assert.equal(flaky.seen.filter((e) => e.id === e1).length, 1)
  assert.equal((await eventRow(e1)).attempts, 1)

  // The retry is due (as if the backoff elapsed) and the listener has recovered.
  flaky.failing = false
  await t.database.db.updateTable('events').set({ next_attempt_at: sql<Date>`now()` }).where('id', '=', e1).execute()
  await omnidesk.platform.dispatcher.drain()
  const done = await eventRow(e1)
  assert.notEqual(done.dispatched_at, null)
  assert.equal(done.last_error, null)
  assert.equal(flaky.seen.filter((e) => e.id === e1).length, 2)
  assert.deepEqual(await runsOf(e1), ['test.flaky', 'test.outbox-log', 'test.steady'])
  assert.deepEqual(steady.seen.map((e) => e.id), [e1, e2], 'listeners that had succeeded were not run again')
})

test('a listener recorded as having handled an event is not run again for it', async () => {
  const omnidesk = instances[0] ?? (await restart())
  const once = recorder(omnidesk, 'test.once', ['test.once-happened'])
  const ws = await newWorkspace(omnidesk)

  const e1 = await append(omnidesk, ws.id, 'test.once-happened')
  await omnidesk.platform.dispatcher.drain()
  assert.deepEqual(once.seen.map((e) => e.id), [e1])
  // A crash after the listener's run committed but before the event was marked
  // dispatched: the event is picked up again, the listener is skipped.
  await t.database.db.updateTable('events').set({ dispatched_at: null }).where('id', '=', e1).execute()
  await omnidesk.platform.dispatcher.drain()
  assert.notEqual((await eventRow(e1)).dispatched_at, null)
  assert.deepEqual(once.seen.map((e) => e.id), [e1])

  // Recorded before it ever ran (e.g. by another node): never run.
  const e2 = await append(omnidesk, ws.id, 'test.once-happened')
  await t.database.db.insertInto('event_listener_runs').values({ event_id: e2, listener_id: 'test.once' }).execute()
  await omnidesk.platform.dispatcher.drain()
  assert.notEqual((await eventRow(e2)).dispatched_at, null)
  assert.deepEqual(once.seen.map((e) => e.id), [e1])
})

test('a transaction that rolls back leaves no event, so no listener ever sees it', async () => {
  const omnidesk = instances[0] ?? (await restart())
  const seen = recorder(omnidesk, 'test.rollback', ['test.rolled-back', 'user.created'])
  const ws = await newWorkspace(omnidesk)
  const actor = systemActor(ws.id, 'outbox test')
  await assert.rejects(
    omnidesk.platform.tx(actor, async (trx) => {
      await appendEvent(trx, actor, { type: 'test.rolled-back' })
      throw new Error('boom')
    }),
    /boom/,
  )
  // A request refused inside its transaction: a second user with the same email.
  const ok = await ws.client.post('/api/v1/users', { email: 'dup@example.com', name: 'A', role: 'agent' })
  assert.equal(ok.status, 201)
  assert.equal((await ws.client.post('/api/v1/users', { email: 'dup@example.com', name: 'B', role: 'agent' })).status, 409)
  await omnidesk.platform.dispatcher.drain()

  const rows = await t.database.db.selectFrom('events').select(['type', 'payload']).where('workspace_id', '=', ws.id).where('type', 'in', ['test.rolled-back', 'user.created']).execute()
  assert.equal(rows.filter((r) => r.type === 'test.rolled-back').length, 0)
  const userIds = rows.map((r) => (r.payload as { userId: string }).userId)
  assert.equal(userIds.filter((id) => id === ok.body.id).length, 1, 'one event for the user that was created')
  const users = await t.database.db.selectFrom('users').select('id').where('workspace_id', '=', ws.id).execute()
  assert.deepEqual(userIds.sort(), users.map((u) => u.id).sort(), 'one user.created per user that exists, none for the refused one')
  const delivered = seen.seen.filter((e) => e.workspaceId === ws.id)
  assert.equal(delivered.some((e) => e.type === 'test.rolled-back'), false)
  assert.deepEqual(delivered.map((e) => e.id).sort(), (await t.database.db.selectFrom('events').select('id').where('workspace_id', '=', ws.id).where('type', '=', 'user.created').execute()).map((r) => r.id).sort())
})
