import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { agent, queue, until } from './test-helpers.ts'

// The new-case listener decides "nothing to route" in one statement without the routing lock
// (no queue yet, or the case is taken) and locks only when something is left. This drives that
// pre-check against queues and presence changing at the same moment, through the API; on
// PostgreSQL (DATABASE_URL) with a pool of 16 connections, so listeners and requests really overlap.
const t = await useTestApp({ DATABASE_POOL_SIZE: '16' }, { start: true })

/** Runs `jobs` with at most `width` in flight at once. */
async function inParallel(width: number, jobs: Array<() => Promise<void>>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) await jobs[next++]!()
    }),
  )
}

/** Until the outbox of the workspace is empty: every listener has run on every event (and none failed). */
async function drained(ws: WorkspaceClient) {
  await until('the dispatcher drained the workspace', async () => {
    const r = await t.database.db.selectFrom('events').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', ws.workspaceId).where('dispatched_at', 'is', null).executeTakeFirstOrThrow()
    return Number(r.n) === 0
  }, 60_000)
  const failed = await t.database.db.selectFrom('events').select(['type', 'last_error']).where('workspace_id', '=', ws.workspaceId).where('last_error', 'is not', null).execute()
  assert.deepEqual(failed, [], 'no listener failed')
}

const AGENTS = 4
const CAPACITY = 2
const CASES = 30

/**
 * One round: a workspace without queues, its agents offline; 30 creates race a queue's creation
 * (at `queueAt` among the jobs) and the agents' presence going online, away and online again.
 */
async function round(queueAt: number) {
  const ws = await t.workspace()
  const agents = await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(ws, `racer${i}`, { api: CAPACITY }, { online: false })))
  let queueCreated = false
  const cases: Array<{ id: string; afterQueue: boolean }> = []
  const jobs: Array<() => Promise<void>> = []
  for (let i = 0; i < CASES; i++) {
    jobs.push(async () => {
      const afterQueue = queueCreated // the queue had been created (its POST answered) before this create was sent
      const res = await ws.post('/api/v1/conversations', { contact: { email: `race${i}-${ws.workspaceId.slice(0, 8)}@example.com` }, message: { text: `case ${i}` } })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      cases.push({ id: res.body.id, afterQueue })
    })
  }
  jobs.splice(queueAt, 0, async () => {
    await queue(ws, { name: 'All', strategy: 'least_loaded' })
    queueCreated = true
  })
  const statuses = ['online', 'away', 'online']
  for (const [i, a] of agents.entries()) {
    for (const [k, status] of statuses.entries()) {
      jobs.splice(Math.min(jobs.length, queueAt - 2 + i * 3 + k * 7), 0, async () => {
        const res = await a.client.put(`/api/v1/users/${a.id}/presence`, { status })
        assert.equal(res.status, 200, JSON.stringify(res.body))
      })
    }
  }
  await inParallel(16, jobs)
  // And a few right behind the race, before its listeners have all run: the queue exists for them.
  await inParallel(4, Array.from({ length: 4 }, (_, i) => async () => {
    const res = await ws.post('/api/v1/conversations', { contact: { email: `tail${i}-${ws.workspaceId.slice(0, 8)}@example.com` }, message: { text: `tail ${i}` } })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    cases.push({ id: res.body.id, afterQueue: true })
  }))
  await drained(ws)

  const db = t.database.db
  const conversations = new Map((await db.selectFrom('conversations').select(['id', 'assignee_id', 'status']).where('workspace_id', '=', ws.workspaceId).execute()).map((c) => [c.id, c]))
  const entries = new Map((await db.selectFrom('routing_entries').select(['conversation_id', 'state', 'assignee_id']).where('workspace_id', '=', ws.workspaceId).execute()).map((e) => [e.conversation_id, e]))
  assert.equal(conversations.size, CASES + 4)
  const mustRoute = cases.filter((c) => c.afterQueue)
  for (const { id } of mustRoute) {
    const entry = entries.get(id)
    assert.ok(entry && (entry.state === 'waiting' || entry.state === 'assigned'), `case ${id}, created after the queue, was routed: ${JSON.stringify(entry)}`)
  }
  // Every case, routed or not (one created before the queue may be either), is in a consistent state.
  for (const [id, c] of conversations) {
    const entry = entries.get(id)
    if (!entry) assert.equal(c.assignee_id, null, `case ${id} has no entry and nobody holds it`)
    else if (entry.state === 'assigned') assert.ok(c.assignee_id && c.assignee_id === entry.assignee_id, `case ${id}: the entry's assignee holds it`)
    else assert.equal(entry.state === 'waiting' && c.assignee_id, null, `case ${id}: a waiting case is held by nobody (${entry.state})`)
  }

  // Every agent online at the end: the backlog fills every seat, and no agent holds more than its capacity.
  await inParallel(AGENTS, agents.map((a) => async () => void (await a.client.put(`/api/v1/users/${a.id}/presence`, { status: 'online' }))))
  await drained(ws)
  const routed = (await db.selectFrom('routing_entries').select(['state', 'assignee_id']).where('workspace_id', '=', ws.workspaceId).execute())
  const loads = new Map<string, number>()
  for (const e of routed) if (e.state === 'assigned' && e.assignee_id) loads.set(e.assignee_id, (loads.get(e.assignee_id) ?? 0) + 1)
  const held = [...loads.values()].reduce((a, b) => a + b, 0)
  assert.equal(held, Math.min(AGENTS * CAPACITY, routed.length), `seats filled from the backlog (${routed.length} routed)`)
  for (const [user, n] of loads) assert.ok(n <= CAPACITY, `agent ${user} holds ${n}`)
  return { mustRoute: mustRoute.length, routed: routed.length }
}

test('creates racing a queue being created and agents going online: every case created after the queue is routed, seats fill from the backlog', async () => {
  // The queue early, in the middle and late among the jobs: creates before, during and after it.
  const rounds = []
  for (const queueAt of [2, 12, 24]) rounds.push(await round(queueAt))
  assert.ok(rounds.some((r) => r.mustRoute < CASES), `some creates were sent before the queue existed: ${JSON.stringify(rounds)}`)
})
