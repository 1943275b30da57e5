import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { useTestApp } from '../../../test/harness.ts'
import { withTenant } from '../../platform/db/tenant.ts'
import { waitingCasesQuery } from './routing.repository.ts'
import { agent, assigneeOf, decisions, newCase, presence, queue, until } from './test-helpers.ts'

// The backlog's order (priority, next SLA breach, waiting time) read from the
// routing entry alone, kept in step when SLA clocks change; and waiting cases
// re-matched to the right queue when their attributes change.
const t = await useTestApp({}, { start: true })

const queueOf = async (ws: Awaited<ReturnType<typeof t.workspace>>, id: string) =>
  (await decisions(ws, id)).filter((d) => d.kind === 'moved' || d.kind === 'no_candidate').at(-1)?.queueId as string | undefined

test('an SLA change after a case entered the backlog reorders it: the case now breaching sooner is served first', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'Q', strategy: 'least_loaded' })
  assert.equal((await ws.post('/api/v1/sla-policies', { name: 'VIP', match: { tags: ['vip'] }, targets: { firstResponseMinutes: 5 } })).status, 201)
  assert.equal((await ws.post('/api/v1/sla-policies', { name: 'Everyone', targets: { firstResponseMinutes: 600 } })).status, 201)
  const dee = await agent(ws, 'dee', { api: 1 }, { online: false })
  const older = await newCase(ws)
  const later = await newCase(ws)
  await until('both queued with their clocks', async () => {
    const q = (await ws.get('/api/v1/queues')).body.items[0]
    const due = await Promise.all([older, later].map(async (c) => (await ws.get(`/api/v1/conversations/${c.id}`)).body.sla?.firstResponseDueAt))
    return q.waiting === 2 && due.every(Boolean)
  })
  // Same priority, same target: the older case would go first. Tagging the later one VIP gives it a 5-minute clock.
  assert.equal((await ws.patch(`/api/v1/conversations/${later.id}`, { tags: ['vip'] })).status, 200)
  await until('the VIP policy applies', async () => (await ws.get(`/api/v1/conversations/${later.id}`)).body.sla?.policyId !== undefined && (await ws.get(`/api/v1/conversations/${later.id}/sla`)).body.policy?.name === 'VIP')
  await t.omnidesk.platform.dispatcher.drain()
  await presence(dee.client, dee.id, 'online')
  assert.equal(await assigneeOf(ws, later.id), dee.id, 'the case whose SLA now breaches first')
  assert.equal(await assigneeOf(ws, older.id), null)
})

test('finding the next waiting case walks the backlog index: no sort, no join', async () => {
  const ws = await t.workspace()
  const plan = await withTenant(t.database.db, ws.workspaceId, async (trx) => {
    // Force the choice the planner makes on a deep backlog (a tiny table would be read whole and sorted).
    await sql`SET LOCAL enable_seqscan = off`.execute(trx)
    await sql`SET LOCAL enable_bitmapscan = off`.execute(trx)
    const q = waitingCasesQuery(ws.workspaceId, { limit: 25 }).compile(trx)
    const rows = await sql.raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.sql.replace(/\$(\d+)/g, (_, i) => `'${String(q.parameters[Number(i) - 1])}'`)}`).execute(trx)
    return rows.rows.map((r) => r['QUERY PLAN']).join('\n')
  })
  assert.match(plan, /routing_entries_waiting_idx/, plan)
  assert.doesNotMatch(plan, /Sort/, plan)
  assert.doesNotMatch(plan, /conversation_slas|Join|Nested Loop/, plan)
})

test('a waiting case whose priority or tags change moves to the queue that now takes it', async () => {
  const ws = await t.workspace()
  const urgentQ = await queue(ws, { name: 'Urgent', strategy: 'least_loaded', match: { priorities: ['urgent'] } })
  const billingQ = await queue(ws, { name: 'Billing', strategy: 'least_loaded', match: { tags: ['billing'] } })
  const general = await queue(ws, { name: 'General', strategy: 'least_loaded' })
  const c = await newCase(ws)
  await until('queued in General', async () => (await queueOf(ws, c.id)) === general.id)

  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { tags: ['billing'] })).status, 200)
  await until('moved to Billing', async () => (await queueOf(ws, c.id)) === billingQ.id)
  const moved = (await decisions(ws, c.id)).find((d) => d.kind === 'moved')
  assert.match(moved.reason, /re-matched: tags changed/)

  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { priority: 'urgent' })).status, 200)
  await until('moved to Urgent (the first queue whose rules match)', async () => (await queueOf(ws, c.id)) === urgentQ.id)
  const counts = Object.fromEntries((await ws.get('/api/v1/queues')).body.items.map((q: { name: string; waiting: number }) => [q.name, q.waiting]))
  assert.deepEqual(counts, { Urgent: 1, Billing: 0, General: 0 })

  // The agent coming online gets it from its new queue.
  const ann = await agent(ws, 'ann', { api: 1 })
  assert.equal(await assigneeOf(ws, c.id), ann.id)
  assert.equal((await decisions(ws, c.id)).find((d) => d.kind === 'assigned').queueId, urgentQ.id)

  // An assigned case is not moved by a later change.
  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { priority: 'low', tags: [] })).status, 200)
  await t.omnidesk.platform.dispatcher.drain()
  assert.equal(await assigneeOf(ws, c.id), ann.id)
  assert.equal((await decisions(ws, c.id)).filter((d) => d.kind === 'moved').length, 2)
})

test('a case transferred to a queue by name stays there when its attributes change; no queue of another workspace is ever matched', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  await queue(other, { name: 'Billing elsewhere', strategy: 'least_loaded', match: { tags: ['billing'] } })
  const general = await queue(ws, { name: 'General', strategy: 'least_loaded', match: { tags: ['general'] } })
  const l2 = await queue(ws, { name: 'L2', strategy: 'least_loaded', match: { tags: ['never'] } })
  const pinned = await newCase(ws, { tags: ['general'] })
  const loose = await newCase(ws, { tags: ['general'] })
  await until('both queued', async () => (await ws.get('/api/v1/queues')).body.items[0].waiting === 2)
  const tr = await ws.post(`/api/v1/conversations/${pinned.id}/transfer`, { to: { queueId: l2.id }, note: 'needs L2' })
  assert.equal(tr.status, 200, JSON.stringify(tr.body))
  // Both lose the tag that put them in General; neither matches another queue of this workspace.
  for (const c of [pinned, loose]) assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { tags: ['billing'] })).status, 200)
  await t.omnidesk.platform.dispatcher.drain()
  const counts = Object.fromEntries((await ws.get('/api/v1/queues')).body.items.map((q: { name: string; waiting: number }) => [q.name, q.waiting]))
  assert.deepEqual(counts, { General: 1, L2: 1 }, 'the transferred case stays in L2; the other stays put (no queue matches it now)')
  assert.equal((await other.get('/api/v1/queues')).body.items[0].waiting, 0, 'the other workspace’s Billing queue took nothing')
  assert.equal((await other.get(`/api/v1/conversations/${loose.id}/routing-decisions`)).status, 404)
  assert.equal((await decisions(ws, loose.id)).at(-1).queueId, general.id)
})
