import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { agent, queue, until } from '../src/modules/routing/test-helpers.ts'
import { type Res, useTestApp, type WorkspaceClient } from './harness.ts'

/**
 * The event listeners a create causes, under concurrent creates, in a
 * workspace where they have work: an SLA policy (a clock per case) and a
 * routing queue (the routing lock, assignments). On PostgreSQL (DATABASE_URL)
 * a create's SLA and routing listeners share one transaction
 * (dispatcher.ts, runConversation) while requests and routing's own
 * transactions run beside it on a pool of 16 connections.
 */
const t = await useTestApp({ DATABASE_POOL_SIZE: '16' }, { start: true })
const minute = 60_000

async function setUp(seats: { agents: number; capacity: number }) {
  const ws = await t.workspace()
  const policy = await ws.post('/api/v1/sla-policies', { name: 'First response in an hour', targets: { firstResponseMinutes: 60 } })
  assert.equal(policy.status, 201, JSON.stringify(policy.body))
  await queue(ws, { name: 'All', strategy: 'least_loaded' })
  const agents = await Promise.all(Array.from({ length: seats.agents }, (_, i) => agent(ws, `agent${i}`, { api: seats.capacity })))
  return { ws, policyId: policy.body.id as string, agents }
}

const create = (ws: WorkspaceClient, email: string, n: number) =>
  ws.post('/api/v1/conversations', { contact: { name: `Customer ${n}`, email }, subject: `Order ${n}`, message: { text: `Message ${n}` } })

async function conversations(ws: WorkspaceClient): Promise<Array<{ id: string; createdAt: string; assigneeId: string | null; sla: { policyId: string; firstResponseDueAt: string | null } | null }>> {
  const res = await ws.get('/api/v1/conversations?limit=100')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}

test('32 concurrent creates with an SLA policy and a routing queue: no 5xx, a clock on every case, every seat taken once', async () => {
  const { ws, policyId, agents } = await setUp({ agents: 4, capacity: 4 })
  // 32 creates for 12 customers (new ones racing each other), and the agents saying "online" again meanwhile (routing transactions).
  const jobs: Array<Promise<Res>> = Array.from({ length: 32 }, (_, i) => create(ws, `c${i % 12}@example.com`, i))
  for (const a of agents) jobs.splice(agents.indexOf(a) * 8 + 4, 0, a.client.put(`/api/v1/users/${a.id}/presence`, { status: 'online' }))
  const results = await Promise.all(jobs)
  assert.deepEqual(results.filter((r) => r.status >= 300).map((r) => `${r.status} ${JSON.stringify(r.body)}`), [], 'no failures')

  await t.omnidesk.platform.dispatcher.drain()
  const cases = await until('16 of the 32 cases assigned', async () => {
    const all = await conversations(ws)
    return all.filter((c) => c.assigneeId).length === 16 && all
  })
  assert.equal(cases.length, 32)
  for (const a of agents) assert.equal(cases.filter((c) => c.assigneeId === a.id).length, 4, `agent ${a.id} holds exactly its capacity`)

  // Every case has its clock: the policy matched, first response due an hour after the case arrived.
  for (const c of cases) {
    assert.equal(c.sla?.policyId, policyId, `case ${c.id} has the policy`)
    assert.equal(c.sla?.firstResponseDueAt, new Date(Date.parse(c.createdAt) + 60 * minute).toISOString(), `case ${c.id} is due an hour after it arrived`)
  }

  // Routing: one assignment per assigned case; the waiting ones keep their SLA due time as their sort key.
  const db = t.database.db
  const assigned = await db.selectFrom('routing_decisions').select(['conversation_id', (eb) => eb.fn.countAll<string>().as('n')]).where('workspace_id', '=', ws.workspaceId).where('kind', '=', 'assigned').groupBy('conversation_id').execute()
  assert.equal(assigned.length, 16)
  assert.ok(assigned.every((r) => Number(r.n) === 1), JSON.stringify(assigned))
  const entries = await db
    .selectFrom('routing_entries as e')
    .innerJoin('conversation_slas as s', (j) => j.onRef('s.workspace_id', '=', 'e.workspace_id').onRef('s.conversation_id', '=', 'e.conversation_id'))
    .select(['e.state', 'e.next_breach_at', 's.first_response_due_at'])
    .where('e.workspace_id', '=', ws.workspaceId)
    .execute()
  assert.equal(entries.length, 32, 'every case entered routing')
  assert.equal(entries.filter((e) => e.state === 'waiting').length, 16)
  for (const e of entries.filter((x) => x.state === 'waiting')) assert.equal(e.next_breach_at?.toISOString(), e.first_response_due_at?.toISOString())

  // Every event delivered at the first attempt, none left with an error.
  const undelivered = await db.selectFrom('events').select(['type', 'attempts', 'last_error']).where('workspace_id', '=', ws.workspaceId).where((eb) => eb.or([eb('dispatched_at', 'is', null), eb('attempts', '>', 0)])).execute()
  assert.deepEqual(undelivered, [])
})

test("a create's SLA clock and routing run in one transaction, with the runs of both its events", async () => {
  const { ws } = await setUp({ agents: 1, capacity: 1 })
  const res = await create(ws, 'one@example.com', 1)
  assert.equal(res.status, 201, JSON.stringify(res.body))
  await t.omnidesk.platform.dispatcher.drain()
  // xmin: the transaction that inserted each run record.
  const runs = await sql<{ type: string; listener_id: string; tx: string }>`
    select e.type, r.listener_id, r.xmin::text as tx from event_listener_runs r join events e on e.id = r.event_id
    where e.conversation_id = ${res.body.id} and r.listener_id in ('sla.track-clocks', 'routing.enqueue-new-cases') order by e.id, r.listener_id`.execute(t.database.db)
  assert.deepEqual(
    runs.rows.map((r) => `${r.type} ${r.listener_id}`),
    ['conversation.created routing.enqueue-new-cases', 'conversation.created sla.track-clocks', 'message.received sla.track-clocks'],
  )
  assert.equal(new Set(runs.rows.map((r) => r.tx)).size, 1, 'one transaction')
  assert.equal((await ws.get(`/api/v1/conversations/${res.body.id}`)).body.assigneeId !== null, true, 'routed to the one agent')
})
