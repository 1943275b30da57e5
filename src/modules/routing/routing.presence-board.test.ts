import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { agent, assigneeOf, newCase, queue, until } from './test-helpers.ts'

// GET /routing/agents: the supervisor's view of presence, load and capacity.
const t = await useTestApp({}, { start: true })

interface Row {
  userId: string
  name: string
  status: string
  reason: string | null
  statusChangedAt: string
  channels: Array<{ channel: string; load: number; capacity: number; free: number }>
}

test('supervisors see each agent’s presence, reason, since when, and load against capacity per channel', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'All', strategy: 'least_loaded' })
  const sup = await agent(ws, 'Sue', { api: 0 }, { role: 'supervisor', online: false })
  const ann = await agent(ws, 'Ann', { api: 2, chat: 3 })
  const bob = await agent(ws, 'Bob', { api: 1 }, { online: false })
  const before = Date.now()
  const away = await bob.client.put(`/api/v1/users/${bob.id}/presence`, { status: 'away', reason: 'lunch' })
  assert.equal(away.status, 200, JSON.stringify(away.body))
  const c = await newCase(ws)
  await until('Ann got the case', async () => (await assigneeOf(ws, c.id)) === ann.id)

  const res = await sup.client.get('/api/v1/routing/agents')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const rows = res.body.items as Row[]
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]))
  assert.deepEqual(
    rows.map((r) => r.name).filter((n) => ['Ann', 'Bob', 'Sue'].includes(n)),
    ['Ann', 'Bob', 'Sue'],
    'by name',
  )
  assert.equal(byName.Ann!.status, 'online')
  assert.deepEqual(byName.Ann!.channels, [
    { channel: 'api', load: 1, capacity: 2, free: 1 },
    { channel: 'chat', load: 0, capacity: 3, free: 3 },
  ])
  assert.equal(byName.Bob!.status, 'away')
  assert.equal(byName.Bob!.reason, 'lunch')
  assert.ok(Date.parse(byName.Bob!.statusChangedAt) >= before - 5000, 'since when')
  assert.equal(byName.Sue!.status, 'offline')

  const onlyAway = await sup.client.get('/api/v1/routing/agents?status=away')
  assert.deepEqual((onlyAway.body.items as Row[]).map((r) => r.name), ['Bob'])
  const team = await ws.post('/api/v1/teams', { name: 'Ann only', memberIds: [ann.id] })
  assert.equal(team.status, 201)
  assert.deepEqual(((await sup.client.get(`/api/v1/routing/agents?teamId=${team.body.id}`)).body.items as Row[]).map((r) => r.name), ['Ann'])

  const first = await sup.client.get('/api/v1/routing/agents?limit=1')
  assert.equal(first.body.items.length, 1)
  const second = await sup.client.get(`/api/v1/routing/agents?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`)
  assert.notEqual(second.body.items[0].userId, first.body.items[0].userId)

  const denied = await ann.client.get('/api/v1/routing/agents')
  assert.equal(denied.status, 403, 'agents do not see the board')
})

test('another workspace’s supervisor sees none of these agents', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const ann = await agent(a, 'Ann', { api: 1 })
  const res = await b.get('/api/v1/routing/agents?limit=100')
  assert.equal(res.status, 200)
  assert.ok(!(res.body.items as Row[]).some((r) => r.userId === ann.id))
  assert.equal((await b.get(`/api/v1/routing/agents?teamId=${ann.id}`)).body.items.length, 0)
})
