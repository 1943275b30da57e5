import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Client, useTestApp } from '../../../test/harness.ts'
import { agent, inbox, newCase, queue, until } from './test-helpers.ts'

// Routing and SLA lists are paginated like the rest of the API: signed
// cursors bound to their list, pages in the list's order, nothing repeated,
// nothing of another workspace.
const t = await useTestApp({}, { start: true })

/** Every page of a list, `limit` at a time; checks the cursors chain and end. */
async function allPages(c: Client, path: string, limit: number) {
  const pages: Array<Array<{ id: string }>> = []
  let cursor: string | null = null
  for (let i = 0; i < 20; i++) {
    const sep = path.includes('?') ? '&' : '?'
    const res = await c.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.ok(res.body.items.length <= limit)
    pages.push(res.body.items)
    cursor = res.body.nextCursor
    if (!cursor) return pages
  }
  assert.fail('the cursor never ran out')
}

const nineToFive = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']] }

test('calendars, SLA policies and queues come in pages, in their order, each item once', async () => {
  const ws = await t.workspace()
  for (const name of ['Paris', 'Austin', 'Manila']) assert.equal((await ws.post('/api/v1/business-calendars', { name, timeZone: 'UTC', weeklyHours: nineToFive })).status, 201)
  for (const [i, name] of ['P0', 'P1', 'P2'].entries()) assert.equal((await ws.post('/api/v1/sla-policies', { name, targets: { firstResponseMinutes: 60 }, position: 10 * (i + 1) })).status, 201)
  // Placed in front: the policies' matching order is not their creation order.
  const p3 = await ws.post('/api/v1/sla-policies', { name: 'First', targets: { firstResponseMinutes: 60 }, position: 5 })
  assert.equal(p3.status, 201)
  for (const name of ['Q0', 'Q1', 'Q2']) await queue(ws, { name, strategy: 'least_loaded' })
  await queue(ws, { name: 'Front', strategy: 'least_loaded', position: 0 })

  const cal = await allPages(ws, '/api/v1/business-calendars', 2)
  assert.deepEqual(cal.map((p) => p.map((c) => (c as unknown as { name: string }).name)), [['Austin', 'Manila'], ['Paris']])
  const pol = (await allPages(ws, '/api/v1/sla-policies', 3)).flat() as unknown as Array<{ name: string }>
  const whole = (await ws.get('/api/v1/sla-policies?limit=100')).body.items as Array<{ name: string }>
  assert.equal(whole[0]!.name, 'First')
  assert.deepEqual(pol.map((p) => p.name), ['First', 'P0', 'P1', 'P2'], 'pages follow the matching order')
  assert.deepEqual(whole.map((p) => p.name), ['First', 'P0', 'P1', 'P2'])
  assert.equal(pol.length, 4)
  const qs = (await allPages(ws, '/api/v1/queues', 3)).flat() as unknown as Array<{ name: string; position: number }>
  assert.deepEqual(qs.map((q) => q.name), ['Front', 'Q0', 'Q1', 'Q2'])

  // A cursor belongs to its list.
  const first = await ws.get('/api/v1/queues?limit=1')
  const misuse = await ws.get(`/api/v1/sla-policies?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`)
  assert.equal(misuse.status, 400)
  assert.equal(misuse.body.error.code, 'INVALID_CURSOR')
  const tampered = await ws.get(`/api/v1/business-calendars?cursor=${encodeURIComponent(`${first.body.nextCursor}x`)}`)
  assert.equal(tampered.status, 400)

  // Another workspace sees none of them, and cannot use this workspace's cursor.
  const other = await t.workspace()
  for (const path of ['/api/v1/business-calendars', '/api/v1/sla-policies', '/api/v1/queues']) assert.deepEqual((await other.get(path)).body.items, [])
  assert.equal((await other.get(`/api/v1/queues?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`)).status, 400)
})

test('an agent’s offers and a case’s routing decisions come in pages too', async () => {
  const ws = await t.workspace()
  const chat = await inbox(ws, 'chat')
  await queue(ws, { name: 'Chat', strategy: 'least_loaded', match: { channels: ['chat'] }, offerTimeoutSeconds: 600 })
  const ann = await agent(ws, 'ann', { chat: 3 })
  for (let i = 0; i < 3; i++) await newCase(ws, { inboxId: chat })
  await until('three offers', async () => (await ann.client.get('/api/v1/offers?limit=10')).body.items.length === 3)
  const offers = await allPages(ann.client, '/api/v1/offers', 2)
  assert.deepEqual(offers.map((p) => p.length), [2, 1])
  assert.equal(new Set(offers.flat().map((o) => o.id)).size, 3)
  const byTime = offers.flat().map((o) => Date.parse((o as unknown as { createdAt: string }).createdAt))
  assert.deepEqual(byTime, [...byTime].sort((a, b) => b - a), 'newest first')
  assert.deepEqual((await ann.client.get('/api/v1/offers?state=accepted')).body.items, [])

  // One case: offered, declined, offered again… its decisions page oldest first.
  const c = await newCase(ws)
  const id = (offers.flat()[0] as unknown as { conversationId: string }).conversationId
  for (let i = 0; i < 2; i++) {
    const pending = (await ann.client.get('/api/v1/offers')).body.items.find((o: { conversationId: string }) => o.conversationId === id)
    if (pending) assert.equal((await ann.client.post(`/api/v1/offers/${pending.id}/decline`)).status, 200)
  }
  const all = (await ws.get(`/api/v1/conversations/${id}/routing-decisions`)).body.items as Array<{ id: string; kind: string }>
  assert.ok(all.length >= 2, JSON.stringify(all))
  const paged = (await allPages(ws, `/api/v1/conversations/${id}/routing-decisions`, 1)).flat()
  assert.deepEqual(paged.map((d) => d.id), all.map((d) => d.id))
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}/routing-decisions?limit=1`)).status, 200)
  const other = await t.workspace()
  assert.equal((await other.get(`/api/v1/conversations/${id}/routing-decisions`)).status, 404)
})

test('the decision log is queryable by chosen agent, kind, strategy and time, within the workspace only', async () => {
  const ws = await t.workspace()
  const rr = await queue(ws, { name: 'RR', strategy: 'round_robin' })
  const ann = await agent(ws, 'ann', { api: 5 })
  const bob = await agent(ws, 'bob', { api: 5 })
  const started = new Date(Date.now() - 1000).toISOString()
  const cases = []
  for (let i = 0; i < 4; i++) cases.push(await newCase(ws))
  await until('all assigned', async () => {
    const log = (await ws.get('/api/v1/routing-decisions?kind=assigned&limit=100')).body.items
    return log.length === 4 && log
  })
  const q = async (query: string) => {
    const res = await ws.get(`/api/v1/routing-decisions?limit=100&${query}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body.items as Array<{ winnerId: string; kind: string; strategy: string; queueId: string }>
  }
  const anns = await q(`winnerId=${ann.id}`)
  const bobs = await q(`winnerId=${bob.id}`)
  assert.equal(anns.length + bobs.length, 4)
  assert.ok(anns.length > 0 && bobs.length > 0, 'round robin spreads them')
  assert.ok(anns.every((d) => d.winnerId === ann.id))
  assert.equal((await q(`strategy=round_robin&queueId=${rr.id}&kind=assigned`)).length, 4)
  assert.equal((await q('strategy=skills')).length, 0)
  assert.equal((await q(`since=${encodeURIComponent(started)}&kind=assigned`)).length, 4)
  assert.equal((await q(`until=${encodeURIComponent(started)}`)).length, 0)
  assert.equal((await q(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length, 0)
  assert.equal((await ws.get('/api/v1/routing-decisions?since=yesterday')).status, 400)

  const other = await t.workspace()
  assert.deepEqual((await other.get(`/api/v1/routing-decisions?winnerId=${ann.id}`)).body.items, [])
  assert.deepEqual((await other.get('/api/v1/routing-decisions')).body.items, [])
})
