import assert from 'node:assert/strict'
import { test } from 'node:test'
import { manualClock } from './index.ts'
import { created, nineToFive, openCase, useSlaApp } from './test-helpers.ts'

// Calendars and policies through the HTTP API, and simulations that touch no case.
const clock = manualClock('2026-11-13T15:55:00Z')
const s = await useSlaApp(clock)

test('business calendars: create, validate, read, change, delete (409 while a policy uses one)', async () => {
  const ws = await s.workspace()
  const cal = await created(
    await ws.post('/api/v1/business-calendars', {
      name: 'Lyon',
      timeZone: 'Europe/Paris',
      weeklyHours: { ...nineToFive, mon: [['09:00', '12:00'], ['13:00', '17:00']] },
      holidays: [{ date: '2026-12-24', name: 'Christmas Eve' }],
      holidayRegion: 'FR',
    }),
  )
  assert.equal(cal.holidayRegion, 'FR')
  const bad = async (body: Record<string, unknown>, field: RegExp) => {
    const res = await ws.post('/api/v1/business-calendars', { name: `Bad ${Math.random()}`, timeZone: 'Europe/Paris', weeklyHours: nineToFive, ...body })
    assert.equal(res.status, 400, JSON.stringify(res.body))
    assert.match(JSON.stringify(res.body.error), field)
  }
  await bad({ timeZone: 'Mars/Olympus' }, /IANA time zone/)
  await bad({ weeklyHours: { mon: [['09:00', '12:00'], ['11:00', '13:00']] } }, /must not overlap/)
  await bad({ weeklyHours: { mon: [['17:00', '09:00']] } }, /end after it starts/)
  await bad({ weeklyHours: {} }, /at least one slot/)
  await bad({ holidayRegion: 'XX-YY' }, /date-holidays/)
  await bad({ holidays: [{ date: '24/12/2026', name: 'x' }] }, /YYYY-MM-DD/)
  assert.equal((await ws.post('/api/v1/business-calendars', { name: 'Lyon', timeZone: 'UTC', weeklyHours: nineToFive })).status, 409)

  const patched = await ws.patch(`/api/v1/business-calendars/${cal.id}`, { timeZone: 'America/New_York' })
  assert.equal(patched.status, 200, JSON.stringify(patched.body))
  assert.equal(patched.body.timeZone, 'America/New_York')
  assert.equal(patched.body.holidayRegion, 'FR', 'untouched fields stay')
  assert.equal((await ws.get('/api/v1/business-calendars')).body.items.length, 1)

  const policy = await created(await ws.post('/api/v1/sla-policies', { name: 'On Lyon', calendarId: cal.id, targets: { firstResponseMinutes: 60 } }))
  const inUse = await ws.delete(`/api/v1/business-calendars/${cal.id}`)
  assert.equal(inUse.status, 409)
  assert.deepEqual(inUse.body.error.details, { policies: ['On Lyon'] })
  assert.equal((await ws.delete(`/api/v1/sla-policies/${policy.id}`)).status, 204)
  assert.equal((await ws.delete(`/api/v1/business-calendars/${cal.id}`)).status, 204)
  assert.equal((await ws.get(`/api/v1/business-calendars/${cal.id}`)).status, 404)
})

test('agents may read and simulate policies but not change them', async () => {
  const ws = await s.workspace()
  const policy = await created(await ws.post('/api/v1/sla-policies', { name: 'P', targets: { firstResponseMinutes: 60 } }))
  const user = await created(await ws.post('/api/v1/users', { email: `agent-${Math.random().toString(36).slice(2, 8)}@example.com`, name: 'Agent', role: 'agent' }))
  const token = await created(await ws.post('/api/v1/tokens', { name: 'agent', userId: user.id }))
  const { clientFor } = await import('../../../test/harness.ts')
  const agent = clientFor(s.app, String(token.secret))
  assert.equal((await agent.get(`/api/v1/sla-policies/${policy.id}`)).status, 200)
  assert.equal((await agent.post(`/api/v1/sla-policies/${policy.id}/simulate`, { receivedAt: '2026-11-13T15:55:00Z' })).status, 200)
  assert.equal((await agent.patch(`/api/v1/sla-policies/${policy.id}`, { name: 'Mine' })).status, 403)
  assert.equal((await agent.post('/api/v1/business-calendars', { name: 'X', timeZone: 'UTC', weeklyHours: nineToFive })).status, 403)
})

async function policyOn(ws: Awaited<ReturnType<typeof s.workspace>>, calendar: Record<string, unknown>, body: Record<string, unknown> = {}) {
  const cal = await created(await ws.post('/api/v1/business-calendars', { name: `Cal ${Math.random()}`, weeklyHours: nineToFive, ...calendar }))
  return created(await ws.post('/api/v1/sla-policies', { name: `Policy ${Math.random()}`, calendarId: cal.id, targets: { firstResponseMinutes: 60 }, ...body }))
}

test('simulate: Friday 16:55 → Monday 09:55, DST weeks in Paris and New York, holidays; no case is touched', async () => {
  const ws = await s.workspace()
  const paris = await policyOn(ws, { timeZone: 'Europe/Paris' }, { targets: { firstResponseMinutes: 60, resolutionMinutes: 120 } })
  const sim = async (policyId: unknown, body: Record<string, unknown>) => {
    const res = await ws.post(`/api/v1/sla-policies/${policyId}/simulate`, body)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body
  }
  const friday = await sim(paris.id, { receivedAt: '2026-11-13T16:55:00+01:00' })
  assert.equal(friday.firstResponseDueAt, '2026-11-16T08:55:00.000Z')
  // The week Paris springs forward (Sunday 29 March 2026): Friday 16:00 CET + 120 min → Monday 10:00 CEST.
  assert.equal((await sim(paris.id, { receivedAt: '2026-03-27T16:00:00+01:00' })).resolutionDueAt, '2026-03-30T08:00:00.000Z')
  // … and falls back (Sunday 25 October): Friday 16:30 CEST + 60 → Monday 09:30 CET.
  assert.equal((await sim(paris.id, { receivedAt: '2026-10-23T16:30:00+02:00' })).firstResponseDueAt, '2026-10-26T08:30:00.000Z')
  const ny = await policyOn(ws, { timeZone: 'America/New_York' })
  assert.equal((await sim(ny.id, { receivedAt: '2026-03-06T16:55:00-05:00' })).firstResponseDueAt, '2026-03-09T13:55:00.000Z', 'Monday 09:55 EDT')
  assert.equal((await sim(ny.id, { receivedAt: '2026-10-30T16:55:00-04:00' })).firstResponseDueAt, '2026-11-02T14:55:00.000Z', 'Monday 09:55 EST')
  // Friday 1 May 2026 is Labour Day in France; a typed-in holiday on Monday 4 May pushes to Tuesday.
  const fr = await policyOn(ws, { timeZone: 'Europe/Paris', holidayRegion: 'FR' })
  assert.equal((await sim(fr.id, { receivedAt: '2026-04-30T16:30:00+02:00' })).firstResponseDueAt, '2026-05-04T07:30:00.000Z')
  const frPlus = await policyOn(ws, { timeZone: 'Europe/Paris', holidayRegion: 'FR', holidays: [{ date: '2026-05-04', name: 'Bridge day' }] })
  assert.equal((await sim(frPlus.id, { receivedAt: '2026-04-30T16:30:00+02:00' })).firstResponseDueAt, '2026-05-05T07:30:00.000Z')

  // Events: a late reply breaches first response; pending pauses resolution until the customer writes.
  const story = await sim(paris.id, {
    receivedAt: '2026-11-13T16:55:00+01:00',
    events: [
      { at: '2026-11-16T10:30:00+01:00', type: 'agent_reply' },
      { at: '2026-11-16T10:30:00+01:00', type: 'status', status: 'pending' },
      { at: '2026-11-17T15:00:00+01:00', type: 'customer_message' },
    ],
    until: '2026-11-17T15:10:00+01:00',
  })
  assert.deepEqual(story.breaches, [{ clock: 'first_response', cycle: 1, at: '2026-11-16T08:55:00.000Z' }])
  const res = story.clocks.find((c: { clock: string }) => c.clock === 'resolution')
  assert.equal(res.state, 'running')
  assert.equal(res.elapsedMinutes, 5 + 90 + 10, '16:55–17:00 Friday, 09:00–10:30 Monday, 15:00–15:10 Tuesday')
  assert.equal(story.resolutionDueAt, '2026-11-17T14:25:00.000Z', '25 minutes left at 15:00')
  assert.deepEqual(
    story.explanation.map((e: { clock: string; kind: string }) => `${e.clock}:${e.kind}`),
    ['first_response:started', 'resolution:started', 'first_response:breached', 'first_response:fulfilled', 'resolution:paused', 'resolution:resumed'],
  )
  assert.equal((await ws.get('/api/v1/conversations')).body.items.length, 0, 'no case was created')
  assert.equal((await ws.post(`/api/v1/sla-policies/${paris.id}/simulate`, { receivedAt: '2026-11-13T16:55:00+01:00', events: [{ at: '2026-11-14T00:00:00Z', type: 'status' }] })).status, 400)
})

test('what if: how many of the last days\u2019 cases a draft policy would have breached', async () => {
  const ws = await s.workspace()
  // Cases are stamped with the database's time; the SLA clock reads two hours later.
  clock.set(new Date(Date.now() + 2 * 3600_000))
  const replied = await openCase(ws)
  await created(await ws.post(`/api/v1/conversations/${replied.id}/messages`, { text: 'Done' }))
  const waiting = await openCase(ws)
  const urgent = await openCase(ws)
  assert.equal((await ws.patch(`/api/v1/conversations/${urgent.id}`, { priority: 'urgent' })).status, 200)
  const all = await ws.post('/api/v1/sla-policies/simulate-history', { days: 1, policy: { targets: { firstResponseMinutes: 60 } } })
  assert.equal(all.status, 200, JSON.stringify(all.body))
  assert.equal(all.body.considered, 3)
  assert.equal(all.body.cases, 3)
  assert.equal(all.body.breachedCases, 2)
  assert.deepEqual(new Set(all.body.breachedConversationIds), new Set([waiting.id, urgent.id]))
  assert.equal(all.body.byClock.first_response, 2)
  const onlyUrgent = await ws.post('/api/v1/sla-policies/simulate-history', { days: 1, policy: { match: { priority: ['urgent'] }, targets: { firstResponseMinutes: 180 } } })
  assert.equal(onlyUrgent.body.cases, 1)
  assert.equal(onlyUrgent.body.breachedCases, 0)
  assert.equal((await ws.get('/api/v1/sla-policies')).body.items.length, 0, 'a draft is not stored')
})

test('the OpenAPI document describes the SLA endpoints and the conversation\u2019s sla field', async () => {
  const res = await s.app.app.inject({ method: 'GET', url: '/api/openapi.json' })
  assert.equal(res.statusCode, 200)
  const doc = JSON.parse(res.body)
  for (const p of ['/api/v1/business-calendars', '/api/v1/sla-policies', '/api/v1/sla-policies/{id}/simulate', '/api/v1/sla-policies/simulate-history', '/api/v1/conversations/{id}/sla'])
    assert.ok(doc.paths[p], `${p} is documented`)
  assert.ok(doc.components.schemas.Conversation.properties.sla, 'Conversation has sla')
})
