import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { agent, assigneeOf, decisions, inbox, newCase, presence, queue, until } from './test-helpers.ts'

const t = await useTestApp({}, { start: true })

test('async cases go to online agents with free capacity; the backlog drains when capacity frees up', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'Everything', strategy: 'least_loaded' })
  const ann = await agent(ws, 'ann', { api: 2 })
  const off = await agent(ws, 'off', { api: 5 }, { online: false })

  const cases = [await newCase(ws), await newCase(ws), await newCase(ws)]
  await until('two assignments', async () => {
    const a = await Promise.all(cases.map((c) => assigneeOf(ws, c.id)))
    return a.filter((x) => x === ann.id).length === 2 && a
  })
  // Capacity 2: the third waits; the offline agent gets nothing.
  const third = (await Promise.all(cases.map(async (c) => ({ c, a: await assigneeOf(ws, c.id) })))).find((x) => x.a === null)
  assert.ok(third, 'one case waits')
  await until('the third case queued', async () => (await ws.get('/api/v1/queues')).body.items[0].waiting === 1)
  const miss = (await decisions(ws, third.c.id)).find((d) => d.kind === 'no_candidate')
  assert.ok(miss, 'the miss is recorded')
  assert.match(miss.candidates.find((c: { userId: string }) => c.userId === ann.id).note, /no free api capacity \(2\/2\)/)

  // Solving one frees capacity: the waiting case goes to ann at once.
  const solved = cases.find((c) => c.id !== third.c.id)
  assert.equal((await ws.patch(`/api/v1/conversations/${solved.id}`, { status: 'solved' })).status, 200)
  await until('the backlog drained', async () => (await assigneeOf(ws, third.c.id)) === ann.id)

  const d = (await decisions(ws, third.c.id)).find((x) => x.kind === 'assigned')
  assert.equal(d.winnerId, ann.id)
  assert.equal(d.strategy, 'least_loaded')
  assert.equal(d.strategyVersion, 1)
  assert.ok(d.durationMs >= 0)
  assert.equal(d.candidates[0].userId, ann.id)
  assert.ok(!d.candidates.some((c: { userId: string }) => c.userId === off.id), 'offline agents are not candidates')

  const routing = await ws.get(`/api/v1/users/${ann.id}/routing`)
  assert.equal(routing.status, 200)
  assert.equal(routing.body.load.api, 2)
})

test('an agent coming online gets the waiting cases at once; going offline releases async work where the queue says so', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'Release', strategy: 'round_robin', releaseOnOffline: true })
  const bob = await agent(ws, 'bob', { api: 3 }, { online: false })
  const cases = [await newCase(ws, { priority: 'low' }), await newCase(ws, { priority: 'urgent' })]
  await until('both queued', async () => (await ws.get('/api/v1/queues')).body.items[0].waiting === 2)
  await presence(bob.client, bob.id, 'online')
  // The drain happened inside the presence change: no waiting needed.
  for (const c of cases) assert.equal(await assigneeOf(ws, c.id), bob.id)
  // Urgent first: its decision comes before the low one's.
  const [low, urgent] = await Promise.all(cases.map(async (c) => (await decisions(ws, c.id)).find((d) => d.kind === 'assigned')))
  assert.ok(Date.parse(urgent.createdAt) <= Date.parse(low.createdAt))

  await presence(bob.client, bob.id, 'offline')
  for (const c of cases) assert.equal(await assigneeOf(ws, c.id), null)
  assert.ok((await decisions(ws, cases[0].id)).some((d) => d.kind === 'released'))
  assert.equal((await ws.get('/api/v1/queues')).body.items[0].waiting, 2)
})

test('a priority change while waiting moves the case ahead in the backlog', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'Q', strategy: 'least_loaded' })
  const dee = await agent(ws, 'dee', { api: 1 }, { online: false })
  const first = await newCase(ws)
  const second = await newCase(ws)
  await until('both queued', async () => (await ws.get('/api/v1/queues')).body.items[0].waiting === 2)
  assert.equal((await ws.patch(`/api/v1/conversations/${second.id}`, { priority: 'high' })).status, 200)
  await until('the entry follows the priority', async () => {
    const row = await t.database.db.selectFrom('routing_entries').select('priority_rank').where('conversation_id', '=', second.id).executeTakeFirst()
    return row?.priority_rank === 3
  })
  await presence(dee.client, dee.id, 'online')
  assert.equal(await assigneeOf(ws, second.id), dee.id)
  assert.equal(await assigneeOf(ws, first.id), null)
})

test('at equal priority, the case whose SLA breaches sooner is served first', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'Q', strategy: 'least_loaded' })
  const vip = await ws.post('/api/v1/sla-policies', { name: 'VIP', match: { tags: ['vip'] }, targets: { firstResponseMinutes: 5 } })
  assert.equal(vip.status, 201, JSON.stringify(vip.body))
  const rest = await ws.post('/api/v1/sla-policies', { name: 'Everyone', match: {}, targets: { firstResponseMinutes: 600 } })
  assert.equal(rest.status, 201, JSON.stringify(rest.body))
  const dee = await agent(ws, 'dee', { api: 1 }, { online: false })
  const relaxed = await newCase(ws)
  const urgent = await newCase(ws, { tags: ['vip'] })
  for (const c of [relaxed, urgent]) await until('the SLA clock runs', async () => (await ws.get(`/api/v1/conversations/${c.id}`)).body.sla?.firstResponseDueAt)
  await until('both queued', async () => (await ws.get('/api/v1/queues')).body.items[0].waiting === 2)
  await presence(dee.client, dee.id, 'online')
  assert.equal(await assigneeOf(ws, urgent.id), dee.id, 'the later case breaches first')
  assert.equal(await assigneeOf(ws, relaxed.id), null)
})

test('live channels get offers: decline passes to the next agent, accept assigns, an unanswered offer expires', async () => {
  const ws = await t.workspace()
  const chat = await inbox(ws, 'chat')
  // Long enough to decline and accept on a loaded machine; shortened below for the expiry.
  const q = await queue(ws, { name: 'Chat', strategy: 'least_loaded', match: { channels: ['chat'] }, offerTimeoutSeconds: 600 })
  const a = await agent(ws, 'a', { chat: 1 })
  const b = await agent(ws, 'b', { chat: 1 })
  const c = await newCase(ws, { inboxId: chat })

  const first = await until('an offer', async () => {
    for (const x of [a, b]) {
      const offers = (await x.client.get('/api/v1/offers')).body.items
      if (offers.length) return { who: x, offer: offers[0] }
    }
    return undefined
  })
  assert.equal(await assigneeOf(ws, c.id), null, 'an offer is not an assignment')
  const other = first.who === a ? b : a
  const declined = await first.who.client.post(`/api/v1/offers/${first.offer.id}/decline`)
  assert.equal(declined.status, 200, JSON.stringify(declined.body))
  assert.equal(declined.body.state, 'declined')
  // Someone else's offer is a 404; a settled one a 409.
  assert.equal((await other.client.post(`/api/v1/offers/${first.offer.id}/accept`)).status, 404)
  assert.equal((await first.who.client.post(`/api/v1/offers/${first.offer.id}/accept`)).body.error.code, 'OFFER_NOT_PENDING')

  const second = (await other.client.get('/api/v1/offers')).body.items[0]
  assert.ok(second, 'the next agent is offered the case at once')
  const accepted = await other.client.post(`/api/v1/offers/${second.id}/accept`)
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body))
  assert.equal(await assigneeOf(ws, c.id), other.id)
  const kinds = (await decisions(ws, c.id)).map((d) => d.kind)
  assert.deepEqual(kinds, ['offered', 'offer_declined', 'offered', 'offer_accepted'])

  // Nobody answers: after offerTimeoutSeconds the offer expires (durable job) and nobody else is free, so it waits.
  assert.equal((await ws.patch(`/api/v1/queues/${q.id}`, { offerTimeoutSeconds: 1 })).status, 200)
  const c2 = await newCase(ws, { inboxId: chat })
  const offer = await until('an offer of the second chat', async () => (await first.who.client.get('/api/v1/offers')).body.items[0])
  assert.equal(offer.conversationId, c2.id)
  await until('the offer expired', async () => (await decisions(ws, c2.id)).some((d) => d.kind === 'offer_expired'))
  assert.equal((await first.who.client.get('/api/v1/offers?state=expired')).body.items[0].id, offer.id)
  assert.equal(await assigneeOf(ws, c2.id), null)
})

test('skills: required skills filter, preferred skills rank; sticky prefers the previous agent', async () => {
  const ws = await t.workspace()
  await queue(ws, { name: 'German', strategy: 'skills', match: { tags: ['de'] }, requiredSkills: [{ name: 'german', level: 2 }], preferredSkills: [{ name: 'billing', level: 1, weight: 2 }] })
  await queue(ws, { name: 'Sticky', strategy: 'sticky', stickyMinutes: 60, fallbackStrategy: 'least_loaded' })
  const novice = await agent(ws, 'novice', { api: 5 }, { skills: [{ name: 'german', level: 1 }] })
  const plain = await agent(ws, 'plain', { api: 5 }, { skills: [{ name: 'german', level: 3 }] })
  const expert = await agent(ws, 'expert', { api: 5 }, { skills: [{ name: 'german', level: 3 }, { name: 'billing', level: 2 }] })

  const de = await newCase(ws, { tags: ['de'] })
  await until('assigned', async () => (await assigneeOf(ws, de.id)) === expert.id)
  const d = (await decisions(ws, de.id)).find((x) => x.kind === 'assigned')
  assert.equal(d.strategy, 'skills')
  const byId = Object.fromEntries(d.candidates.map((c: { userId: string }) => [c.userId, c]))
  assert.equal(byId[novice.id].eligible, false)
  assert.match(byId[novice.id].note, /lacks german/)
  assert.ok(byId[expert.id].score > byId[plain.id].score)

  // The same contact writes again: sticky gives it to whoever helped them.
  const contact = { name: 'Returning', email: `back-${Date.now()}@example.com` }
  const one = await newCase(ws, { contact })
  const helper = await until('first assignment', () => assigneeOf(ws, one.id).then((x) => x ?? undefined))
  const two = await newCase(ws, { contact })
  await until('sticky assignment', async () => (await assigneeOf(ws, two.id)) === helper)
  assert.match((await decisions(ws, two.id)).find((x) => x.kind === 'assigned').reason, /sticky/)
})

test('transfers: note required by the workspace, capacity respected unless a supervisor overrides, to a queue', async () => {
  const ws = await t.workspace()
  const q = await queue(ws, { name: 'Main', strategy: 'least_loaded' })
  const l2 = await queue(ws, { name: 'L2', strategy: 'least_loaded', match: { tags: ['never-matches'] } })
  const ann = await agent(ws, 'ann', { api: 1 })
  const full = await agent(ws, 'full', { api: 0 })
  const sup = await agent(ws, 'sup', { api: 1 }, { role: 'supervisor', online: false })
  const c = await newCase(ws)
  await until('assigned', async () => (await assigneeOf(ws, c.id)) === ann.id)

  assert.equal((await ws.put('/api/v1/routing/settings', { transferNoteRequired: true })).status, 200)
  const noNote = await ann.client.post(`/api/v1/conversations/${c.id}/transfer`, { to: { userId: full.id } })
  assert.equal(noNote.status, 422)
  assert.equal(noNote.body.error.code, 'TRANSFER_NOTE_REQUIRED')
  const atCapacity = await ann.client.post(`/api/v1/conversations/${c.id}/transfer`, { to: { userId: full.id }, note: 'over to you' })
  assert.equal(atCapacity.status, 422)
  assert.equal(atCapacity.body.error.code, 'AGENT_AT_CAPACITY')
  assert.equal((await ann.client.post(`/api/v1/conversations/${c.id}/transfer`, { to: { userId: full.id }, note: 'x', override: true })).status, 403)
  const overridden = await sup.client.post(`/api/v1/conversations/${c.id}/transfer`, { to: { userId: full.id }, note: 'supervisor says so', override: true })
  assert.equal(overridden.status, 200, JSON.stringify(overridden.body))
  assert.equal(overridden.body.assigneeId, full.id)
  // An agent may not transfer a colleague's case.
  assert.equal((await ann.client.post(`/api/v1/conversations/${c.id}/transfer`, { to: { queueId: l2.id }, note: 'mine now' })).status, 403)

  const toQueue = await sup.client.post(`/api/v1/conversations/${c.id}/transfer`, { to: { queueId: l2.id }, note: 'needs L2' })
  assert.equal(toQueue.status, 200, JSON.stringify(toQueue.body))
  // ann has free capacity again and is online: the L2 queue (no team) routes it to her.
  assert.equal(toQueue.body.assigneeId, ann.id)
  const kinds = (await decisions(ws, c.id)).map((d) => d.kind)
  assert.ok(kinds.includes('transferred') && kinds.includes('moved'), kinds.join())
  const byQueue = await ws.get(`/api/v1/routing-decisions?queueId=${l2.id}`)
  assert.equal(byQueue.status, 200)
  assert.ok(byQueue.body.items.every((d: { queueId: string }) => d.queueId === l2.id))
  assert.ok(byQueue.body.items.length >= 2)
  assert.equal((await ws.get(`/api/v1/routing-decisions?queueId=${q.id}&limit=1`)).body.items.length, 1)
  // Pages of the whole record: newest first, no repeats.
  const page1 = await ws.get('/api/v1/routing-decisions?limit=2')
  assert.ok(page1.body.nextCursor)
  const page2 = await ws.get(`/api/v1/routing-decisions?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`)
  assert.equal(page2.status, 200, JSON.stringify(page2.body))
  const seen = [...page1.body.items, ...page2.body.items]
  assert.equal(new Set(seen.map((d: { id: string }) => d.id)).size, seen.length)
  assert.ok(Date.parse(page1.body.items[1].createdAt) >= Date.parse(page2.body.items[0].createdAt))
})

test('overflow: a case waiting too long widens to the fallback queue', async () => {
  const ws = await t.workspace()
  const team = await ws.post('/api/v1/teams', { name: 'Nobody home' })
  const fallback = await queue(ws, { name: 'Fallback', strategy: 'least_loaded', match: { tags: ['never-matches'] } })
  await queue(ws, { name: 'First', strategy: 'least_loaded', teamId: team.body.id, overflow: { afterMinutes: 0.01, queueId: fallback.id }, position: 0 })
  const ann = await agent(ws, 'ann', { api: 1 })
  const c = await newCase(ws)
  // Nobody in the team: it waits, then overflows to the fallback queue, where ann takes it.
  await until('overflowed and assigned', async () => (await assigneeOf(ws, c.id)) === ann.id)
  const kinds = (await decisions(ws, c.id)).map((d) => d.kind)
  assert.deepEqual(kinds.slice(0, 2), ['no_candidate', 'overflowed'])
})

test('A/B: a queue splits cases by a deterministic hash and reports per arm', async () => {
  const ws = await t.workspace()
  const q = await queue(ws, { name: 'AB', strategy: 'least_loaded', abTest: { strategyB: 'round_robin', percentB: 50 } })
  await agent(ws, 'ann', { api: 50 })
  const cases = await Promise.all(Array.from({ length: 12 }, () => newCase(ws)))
  await until('all assigned', async () => (await Promise.all(cases.map((c) => assigneeOf(ws, c.id)))).every(Boolean))
  const arms = await Promise.all(cases.map(async (c) => (await decisions(ws, c.id)).find((d) => d.kind === 'assigned')))
  for (const d of arms) assert.equal(d.strategy, d.arm === 'B' ? 'round_robin' : 'least_loaded')
  const report = await ws.get(`/api/v1/queues/${q.id}/ab-report`)
  assert.equal(report.status, 200, JSON.stringify(report.body))
  const { A, B } = report.body.arms
  assert.equal(A.cases + B.cases, 12)
  assert.equal(A.cases, arms.filter((d) => d.arm === 'A').length)
  assert.equal(A.assigned + B.assigned, 12)
  assert.equal(B.strategy, 'round_robin')
  assert.ok((A.cases === 0 || A.timeToAssignSeconds.mean >= 0) && (B.cases === 0 || B.timeToAssignSeconds.mean >= 0))
})

test('permissions and isolation: presence of others, queues of another workspace', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const ann = await agent(ws, 'ann', { api: 1 }, { online: false })
  const bob = await agent(ws, 'bob', { api: 1 }, { online: false })
  assert.equal((await ann.client.put(`/api/v1/users/${bob.id}/presence`, { status: 'online' })).status, 403)
  assert.equal((await ann.client.put(`/api/v1/users/${ann.id}/routing`, { capacity: { api: 9 }, skills: [] })).status, 403)
  assert.equal((await ws.put(`/api/v1/users/${bob.id}/presence`, { status: 'away', reason: 'lunch' })).body.reason, 'lunch')
  const q = await queue(ws, { name: 'Mine', strategy: 'round_robin' })
  assert.equal((await ws.post('/api/v1/queues', { name: 'mine', strategy: 'round_robin' })).status, 409)
  for (const res of [
    await other.get(`/api/v1/queues/${q.id}`),
    await other.patch(`/api/v1/queues/${q.id}`, { name: 'x' }),
    await other.delete(`/api/v1/queues/${q.id}`),
    await other.get(`/api/v1/queues/${q.id}/ab-report`),
    await other.put(`/api/v1/users/${ann.id}/presence`, { status: 'online' }),
    await other.get(`/api/v1/users/${ann.id}/routing`),
  ])
    assert.equal(res.status, 404, JSON.stringify(res.body))
  assert.equal((await other.get(`/api/v1/routing-decisions?queueId=${q.id}`)).status, 404)
  assert.equal((await other.get('/api/v1/queues')).body.items.length, 0)

  const second = await queue(ws, { name: 'Second', strategy: 'least_loaded', position: 0 })
  assert.deepEqual((await ws.get('/api/v1/queues')).body.items.map((x: { id: string }) => x.id), [second.id, q.id])
  assert.equal((await ws.delete(`/api/v1/queues/${second.id}`)).status, 204)
  assert.equal((await ws.get('/api/v1/queues')).body.items[0].position, 0)
})

test('the routing endpoints are in the OpenAPI document', async () => {
  const doc = await t.admin.get('/api/openapi.json')
  assert.equal(doc.status, 200)
  for (const path of ['/api/v1/users/{id}/presence', '/api/v1/users/{id}/routing', '/api/v1/queues', '/api/v1/queues/{id}/ab-report', '/api/v1/offers/{id}/accept', '/api/v1/conversations/{id}/transfer', '/api/v1/routing-decisions'])
    assert.ok(doc.body.paths[path], `${path} is documented`)
})

test('a workspace without queues leaves new cases alone; a queue created afterwards takes the next new case at once', async () => {
  const ws = await t.workspace()
  const ann = await agent(ws, 'ann', { api: 5 })
  const early = await newCase(ws)
  await t.omnidesk.platform.dispatcher.drain()
  assert.equal(await assigneeOf(ws, early.id), null)
  assert.deepEqual(await decisions(ws, early.id), [], 'no queue: routing decided nothing')

  await queue(ws, { name: 'Everything', strategy: 'least_loaded' })
  const next = await newCase(ws)
  await until('the next case assigned', async () => (await assigneeOf(ws, next.id)) === ann.id)
  assert.equal((await decisions(ws, next.id)).find((d) => d.kind === 'assigned')?.winnerId, ann.id)
})
