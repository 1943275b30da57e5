import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { agent, newCase, queue, until } from './test-helpers.ts'

// Real concurrency on PostgreSQL (DATABASE_URL): a pool of 16 connections.
const t = await useTestApp({ DATABASE_POOL_SIZE: '16' }, { start: true })

/** Runs `jobs` with at most `width` in flight at once. */
async function pool<T>(width: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++
        out[i] = await jobs[i]!()
      }
    }),
  )
  return out
}

test('many concurrent creates, presence changes and solves: no agent over capacity, no case assigned twice', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'All', strategy: 'least_loaded' })
  const capacity = 3
  const agents = await Promise.all(Array.from({ length: 8 }, (_, i) => agent(ws, `agent${i}`, { api: capacity }, { online: i % 2 === 0 })))
  const statuses = ['online', 'away', 'busy', 'online', 'offline', 'online']

  // Phase 1: 40 creates and 24 presence changes, 24 clients at once.
  const jobs: Array<() => Promise<number>> = []
  for (let i = 0; i < 40; i++) jobs.push(async () => (await ws.post('/api/v1/conversations', { contact: { email: `c${i}-${ws.workspaceId.slice(0, 8)}@example.com` }, message: { text: `case ${i}` } })).status)
  for (let i = 0; i < 24; i++) {
    const a = agents[i % agents.length]!
    jobs.splice(i * 2 + 1, 0, async () => (await a.client.put(`/api/v1/users/${a.id}/presence`, { status: statuses[i % statuses.length] })).status)
  }
  const codes = await pool(24, jobs)
  assert.deepEqual(codes.filter((c) => c >= 500), [], 'no 5xx')
  assert.ok(codes.every((c) => c === 200 || c === 201), codes.join())

  // Everyone online at the end (concurrently): 24 seats for 40 cases.
  await pool(8, agents.map((a) => async () => (await a.client.put(`/api/v1/users/${a.id}/presence`, { status: 'online' })).status))
  const loads = async () => {
    const rows = await t.database.db
      .selectFrom('conversations')
      .select(['assignee_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('workspace_id', '=', ws.workspaceId)
      .where('status', 'in', ['open', 'pending', 'on_hold'])
      .groupBy('assignee_id')
      .execute()
    return new Map(rows.map((r) => [r.assignee_id, Number(r.n)]))
  }
  await until('every seat taken', async () => (await loads()).get(null) === 16)
  for (const a of agents) assert.equal((await loads()).get(a.id), capacity, `agent ${a.id} holds exactly its capacity`)

  // Phase 2: solve 12 cases while 12 more arrive, 24 clients at once; the freed seats drain the backlog.
  const assigned = await t.database.db.selectFrom('conversations').select('id').where('workspace_id', '=', ws.workspaceId).where('assignee_id', 'is not', null).limit(12).execute()
  const phase2: Array<() => Promise<number>> = []
  for (const [i, c] of assigned.entries()) {
    phase2.push(async () => (await ws.patch(`/api/v1/conversations/${c.id}`, { status: 'solved' })).status)
    phase2.push(async () => (await newCase(ws, { message: { text: `late ${i}` } })) && 201)
  }
  const codes2 = await pool(24, phase2)
  assert.deepEqual(codes2.filter((c) => c >= 300), [])
  await until('the backlog drained into the freed seats', async () => {
    const l = await loads()
    return agents.every((a) => l.get(a.id) === capacity) && l.get(null) === 16
  })

  // No case was assigned twice: one routing assignment per conversation, never more.
  const perCase = await t.database.db
    .selectFrom('routing_decisions')
    .select(['conversation_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspace_id', '=', ws.workspaceId)
    .where('kind', '=', 'assigned')
    .groupBy('conversation_id')
    .execute()
  assert.equal(perCase.length, 36)
  assert.ok(perCase.every((r) => Number(r.n) === 1), JSON.stringify(perCase.filter((r) => Number(r.n) > 1)))
  const assignedEvents = await t.database.db
    .selectFrom('events')
    .select(['conversation_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspace_id', '=', ws.workspaceId)
    .where('type', '=', 'conversation.assigned')
    .groupBy('conversation_id')
    .execute()
  assert.ok(assignedEvents.every((r) => Number(r.n) === 1))
  // Every assignment decision saw its winner below capacity.
  const decisions = await t.database.db.selectFrom('routing_decisions').select(['winner_id', 'candidates']).where('workspace_id', '=', ws.workspaceId).where('kind', '=', 'assigned').execute()
  for (const d of decisions) {
    const winner = (d.candidates as Array<{ userId: string; load: Record<string, number> }>).find((c) => c.userId === d.winner_id)
    assert.ok(winner && (winner.load.api ?? 0) < capacity, JSON.stringify(winner))
  }
})
