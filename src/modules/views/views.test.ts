import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { member, openConversation } from '../conversations/test-helpers.ts'

const t = await useTestApp()
const ids = (res: { body: { items: Array<{ id: string }> } }) => res.body.items.map((i) => i.id)

test('GET /conversations filters by channel, category, assignee (me, none), team, priority, tag and sorts', async () => {
  const ws = await t.workspace()
  const agent = await member(ws, 'agent')
  const team = (await ws.post('/api/v1/teams', { name: 'Tier 2' })).body
  const billing = (await ws.post('/api/v1/categories', { name: 'Billing' })).body
  const low = await openConversation(ws, { subject: 'low', priority: 'low' })
  const urgent = await openConversation(ws, { subject: 'urgent', priority: 'urgent', tags: ['vip'], categoryId: billing.id })
  const high = await openConversation(ws, { subject: 'high', priority: 'high', teamId: team.id })
  const mine = await agent.client.patch(`/api/v1/conversations/${low.id}`, { assigneeId: agent.id })
  assert.equal(mine.status, 200, JSON.stringify(mine.body))

  assert.deepEqual(ids(await agent.client.get('/api/v1/conversations?assigneeId=me')), [low.id])
  assert.deepEqual(new Set(ids(await ws.get('/api/v1/conversations?assigneeId=none'))), new Set([urgent.id, high.id]))
  assert.deepEqual(ids(await ws.get(`/api/v1/conversations?categoryId=${billing.id}`)), [urgent.id])
  assert.deepEqual(new Set(ids(await ws.get('/api/v1/conversations?categoryId=none'))), new Set([low.id, high.id]))
  assert.deepEqual(ids(await ws.get(`/api/v1/conversations?teamId=${team.id}`)), [high.id])
  assert.deepEqual(ids(await ws.get('/api/v1/conversations?channel=api')).length, 3)
  assert.deepEqual(ids(await ws.get('/api/v1/conversations?channel=email')), [])
  assert.equal((await ws.get('/api/v1/conversations?channel=fax')).status, 400)

  assert.deepEqual(ids(await ws.get('/api/v1/conversations?sort=priority')), [urgent.id, high.id, low.id])
  assert.deepEqual(ids(await ws.get('/api/v1/conversations?sort=oldest')), [low.id, urgent.id, high.id])
  assert.deepEqual(ids(await ws.get('/api/v1/conversations?sort=newest')), [high.id, urgent.id, low.id])
  assert.deepEqual(ids(await ws.get('/api/v1/conversations?sort=waiting')), [low.id, urgent.id, high.id], 'longest waiting first')
  // low was updated last (the assignment): most recent activity first.
  assert.equal(ids(await ws.get('/api/v1/conversations'))[0], low.id)
})

test('every sort pages through all rows without gaps or repeats', async () => {
  const ws = await t.workspace()
  const prios = ['low', 'normal', 'high', 'urgent']
  const all: string[] = []
  for (let i = 0; i < 13; i++) all.push((await openConversation(ws, { subject: `S${i}`, priority: prios[i % 4] })).id)
  for (const sort of ['recent', 'oldest', 'newest', 'priority', 'waiting']) {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await ws.get(`/api/v1/conversations?sort=${sort}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      assert.equal(res.status, 200, JSON.stringify(res.body))
      seen.push(...ids(res))
      cursor = res.body.nextCursor
    } while (cursor)
    assert.equal(seen.length, 13, sort)
    assert.deepEqual(new Set(seen), new Set(all), sort)
    const one = await ws.get(`/api/v1/conversations?sort=${sort}&limit=13`)
    assert.deepEqual(seen, ids(one), `${sort}: pages read as one list`)
  }
})

test('saved views: personal and shared, applied with ?view=, explicit parameters override', async () => {
  const ws = await t.workspace()
  const agent = await member(ws, 'agent')
  const other = await member(ws, 'agent', 'other')
  const supervisor = await member(ws, 'supervisor')
  const a = await openConversation(ws, { subject: 'a', priority: 'urgent', tags: ['vip'] })
  const b = await openConversation(ws, { subject: 'b', priority: 'urgent' })
  await openConversation(ws, { subject: 'c', priority: 'low', tags: ['vip'] })

  const personal = await agent.client.post('/api/v1/views', { name: 'My urgent', filters: { priority: 'urgent', assigneeId: 'none' }, sort: 'oldest' })
  assert.equal(personal.status, 201, JSON.stringify(personal.body))
  assert.deepEqual(personal.body.filters, { priority: 'urgent', assigneeId: 'none' })
  assert.equal(personal.body.shared, false)
  assert.deepEqual(ids(await agent.client.get(`/api/v1/conversations?view=${personal.body.id}`)), [a.id, b.id])
  assert.deepEqual(ids(await agent.client.get(`/api/v1/conversations?view=${personal.body.id}&tag=vip`)), [a.id], 'explicit filters add to the view')
  assert.deepEqual(ids(await agent.client.get(`/api/v1/conversations?view=${personal.body.id}&sort=newest`)), [b.id, a.id], 'an explicit sort wins')

  // Another agent neither sees nor uses nor changes it.
  assert.equal((await other.client.get(`/api/v1/views/${personal.body.id}`)).status, 404)
  assert.equal((await other.client.get(`/api/v1/conversations?view=${personal.body.id}`)).status, 404)
  assert.equal((await other.client.patch(`/api/v1/views/${personal.body.id}`, { name: 'x' })).status, 404)
  assert.equal((await other.client.delete(`/api/v1/views/${personal.body.id}`)).status, 404)
  assert.deepEqual(ids(await other.client.get('/api/v1/views')), [])

  // Sharing needs desk:share.
  const denied = await agent.client.post('/api/v1/views', { name: 'Team VIP', filters: { tag: 'vip' }, shared: true })
  assert.equal(denied.status, 403)
  assert.equal((await agent.client.patch(`/api/v1/views/${personal.body.id}`, { shared: true })).status, 403)
  const shared = await supervisor.client.post('/api/v1/views', { name: 'Team VIP', filters: { tag: 'vip' }, sort: 'priority', shared: true })
  assert.equal(shared.status, 201)
  assert.deepEqual(new Set(ids(await other.client.get('/api/v1/views'))), new Set([shared.body.id]))
  assert.deepEqual(ids(await other.client.get(`/api/v1/conversations?view=${shared.body.id}`)).length, 2)
  assert.equal((await other.client.patch(`/api/v1/views/${shared.body.id}`, { name: 'Mine now' })).status, 403, 'agents cannot change shared views')
  assert.equal((await other.client.delete(`/api/v1/views/${shared.body.id}`)).status, 403)

  const renamed = await agent.client.patch(`/api/v1/views/${personal.body.id}`, { name: 'Urgent, unassigned', filters: { priority: 'urgent' } })
  assert.equal(renamed.status, 200)
  assert.deepEqual(renamed.body.filters, { priority: 'urgent' }, 'filters are replaced as a whole')
  assert.equal((await agent.client.delete(`/api/v1/views/${personal.body.id}`)).status, 204)
  assert.equal((await agent.client.get(`/api/v1/views/${personal.body.id}`)).status, 404)
  const audit = await ws.get('/api/v1/audit-events?action=view.created')
  assert.equal(audit.body.items.length, 2)

  assert.equal((await ws.post('/api/v1/views', { name: 'bad', filters: { colour: 'red' } })).status, 400)
})

test('a view of another workspace is a 404, for the view routes and for ?view=', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const view = await a.post('/api/v1/views', { name: 'Shared', filters: { status: 'open' }, shared: true })
  assert.equal(view.status, 201)
  for (const res of [
    await b.get(`/api/v1/views/${view.body.id}`),
    await b.patch(`/api/v1/views/${view.body.id}`, { name: 'x' }),
    await b.delete(`/api/v1/views/${view.body.id}`),
    await b.get(`/api/v1/conversations?view=${view.body.id}`),
  ]) {
    assert.equal(res.status, 404, JSON.stringify(res.body))
    assert.equal(res.body.error.code, 'NOT_FOUND')
  }
  assert.deepEqual(ids(await b.get('/api/v1/views')), [])
})
