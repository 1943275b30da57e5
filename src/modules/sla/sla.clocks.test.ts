import assert from 'node:assert/strict'
import { test } from 'node:test'
import { manualClock } from './index.ts'
import { created, eventually, nineToFive, openCase, timelineEvents, useSlaApp } from './test-helpers.ts'

// Live clocks through the HTTP API on a manual SLA clock: Friday 16:55 in
// Paris is 15:55Z (CET); the app's events happen at whatever the clock reads.
const clock = manualClock('2026-11-13T15:55:00Z')
const s = await useSlaApp(clock)

async function parisPolicy(ws: Awaited<ReturnType<typeof s.workspace>>, body: Record<string, unknown> = {}) {
  const cal = await created(await ws.post('/api/v1/business-calendars', { name: 'Paris office', timeZone: 'Europe/Paris', weeklyHours: nineToFive }))
  return created(await ws.post('/api/v1/sla-policies', { name: 'Standard', calendarId: cal.id, targets: { firstResponseMinutes: 60 }, ...body }))
}

test('a case received Friday 16:55 with a 60-minute target is due Monday 09:55 Paris time; the breach fires when the clock gets there', async () => {
  clock.set('2026-11-13T15:55:00Z')
  const ws = await s.workspace()
  const policy = await parisPolicy(ws, { warnings: [{ percent: 50 }] })
  const c = await openCase(ws)
  await s.settle()

  const conv = await ws.get(`/api/v1/conversations/${c.id}`)
  assert.equal(conv.status, 200)
  assert.equal(conv.body.sla.policyId, policy.id)
  assert.equal(conv.body.sla.firstResponseDueAt, '2026-11-16T08:55:00.000Z', 'Monday 09:55 in Paris (UTC+1)')
  assert.equal(conv.body.sla.firstResponseBreached, false)

  const detail = await ws.get(`/api/v1/conversations/${c.id}/sla`)
  assert.equal(detail.status, 200, JSON.stringify(detail.body))
  assert.deepEqual(detail.body.policy, { id: policy.id, name: 'Standard' })
  const fr = detail.body.clocks.find((k: { clock: string }) => k.clock === 'first_response')
  assert.equal(fr.state, 'running')
  assert.equal(fr.remainingMinutes, 60)
  assert.ok(detail.body.history.some((h: { kind: string; clock: string }) => h.kind === 'started' && h.clock === 'first_response'))

  // Monday 09:30 Paris: past the 50 % warning (09:25), before the breach.
  clock.set('2026-11-16T08:30:00Z')
  await s.app.services.sla.runDueChecks()
  await s.settle()
  const warnings = await timelineEvents(ws, c.id!, 'sla.warning')
  assert.equal(warnings.length, 1)
  assert.equal(warnings[0]!.at, '2026-11-16T08:25:00.000Z')
  assert.equal((await timelineEvents(ws, c.id!, 'sla.breached')).length, 0)

  clock.set('2026-11-16T09:00:00Z')
  await s.app.services.sla.runDueChecks()
  await s.app.services.sla.runDueChecks()
  await s.settle()
  const breaches = await timelineEvents(ws, c.id!, 'sla.breached')
  assert.equal(breaches.length, 1, 'one breach, however often the checks run')
  assert.equal(breaches[0]!.clock, 'first_response')
  assert.equal(breaches[0]!.at, '2026-11-16T08:55:00.000Z')
  const after = await ws.get(`/api/v1/conversations/${c.id}`)
  assert.equal(after.body.sla.firstResponseBreached, true)

  // The reply fulfils the clock, late; the explanation says so.
  clock.set('2026-11-16T09:10:00Z')
  await created(await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Sorry for the wait' }))
  await s.settle()
  const done = await ws.get(`/api/v1/conversations/${c.id}/sla`)
  const fulfilled = done.body.clocks.find((k: { clock: string }) => k.clock === 'first_response')
  assert.equal(fulfilled.state, 'fulfilled')
  assert.equal(fulfilled.fulfilledAt, '2026-11-16T09:10:00.000Z')
  assert.equal(fulfilled.elapsedMinutes, 75)
  assert.equal(done.body.firstResponseDueAt, null)
  assert.ok(done.body.explanation.some((e: { text: string }) => /fulfilled \(an agent replied\) after 75 of 60 min, after its breach/.test(e.text)), JSON.stringify(done.body.explanation))
})

test('the resolution clock pauses while pending and resumes when the case is open again; first response does not pause', async () => {
  clock.set('2026-11-16T09:00:00Z') // Monday 10:00 Paris
  const ws = await s.workspace()
  await parisPolicy(ws, { targets: { firstResponseMinutes: 60, resolutionMinutes: 120 } })
  const c = await openCase(ws)
  await s.settle()
  clock.set('2026-11-16T09:30:00Z') // 10:30: reply and wait for the customer
  await created(await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Can you send a photo?', status: 'pending' }))
  await s.settle()
  const paused = await ws.get(`/api/v1/conversations/${c.id}/sla`)
  const res = paused.body.clocks.find((k: { clock: string }) => k.clock === 'resolution')
  assert.equal(res.state, 'paused')
  assert.equal(res.remainingMinutes, 90)
  assert.equal(paused.body.resolutionDueAt, null, 'no due time while paused')

  // A day later, 14:00 Paris: open again; 90 minutes left → due 15:30 Paris.
  clock.set('2026-11-17T13:00:00Z')
  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { status: 'open' })).status, 200)
  await s.settle()
  const resumed = await ws.get(`/api/v1/conversations/${c.id}`)
  assert.equal(resumed.body.sla.resolutionDueAt, '2026-11-17T14:30:00.000Z')
  const detail = await ws.get(`/api/v1/conversations/${c.id}/sla`)
  const kinds = detail.body.history.filter((h: { clock: string }) => h.clock === 'resolution').map((h: { kind: string }) => h.kind)
  assert.deepEqual(kinds, ['started', 'paused', 'resumed'])
})

test('policy change mid-case: a higher priority matches a stricter policy from the original start; editing a policy re-evaluates open cases', async () => {
  clock.set('2026-11-16T09:00:00Z')
  const ws = await s.workspace()
  const urgent = await created(await ws.post('/api/v1/sla-policies', { name: 'Urgent', match: { priority: 'urgent' }, targets: { firstResponseMinutes: 15 } }))
  const normal = await created(await ws.post('/api/v1/sla-policies', { name: 'Everything else', targets: { firstResponseMinutes: 240 } }))
  const list = await ws.get('/api/v1/sla-policies')
  assert.deepEqual(list.body.items.map((p: { name: string }) => p.name), ['Urgent', 'Everything else'])
  const c = await openCase(ws)
  await s.settle()
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.sla.firstResponseDueAt, '2026-11-16T13:00:00.000Z')

  clock.set('2026-11-16T09:05:00Z')
  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { priority: 'urgent' })).status, 200)
  await s.settle()
  const now = await ws.get(`/api/v1/conversations/${c.id}`)
  assert.equal(now.body.sla.policyId, urgent.id)
  assert.equal(now.body.sla.firstResponseDueAt, '2026-11-16T09:15:00.000Z', 'from when the case was received, not from the change')
  const detail = await ws.get(`/api/v1/conversations/${c.id}/sla`)
  assert.ok(detail.body.history.some((h: { kind: string; text: string }) => h.kind === 'policy' && /Urgent" replaces another policy \(conversation.updated\)/.test(h.text)), JSON.stringify(detail.body.history))

  // Editing the matching policy re-evaluates the case in a durable job.
  assert.equal((await ws.patch(`/api/v1/sla-policies/${urgent.id}`, { targets: { firstResponseMinutes: 30 } })).status, 200)
  await s.settle()
  await eventually(async () => (await ws.get(`/api/v1/conversations/${c.id}`)).body.sla?.firstResponseDueAt === '2026-11-16T09:30:00.000Z', 'the re-evaluation after the policy edit')
  // Deleting it hands the case to the next policy.
  assert.equal((await ws.delete(`/api/v1/sla-policies/${urgent.id}`)).status, 204)
  await s.settle()
  await eventually(async () => (await ws.get(`/api/v1/conversations/${c.id}`)).body.sla?.policyId === normal.id, 'the re-match after the delete')
})

test('escalation levels: notify the assignee and raise priority at 100 %, move to the L2 queue at 150 % through routing', async () => {
  clock.set('2026-11-16T09:00:00Z')
  const ws = await s.workspace()
  // The L2 queue takes no new case by itself (its rule matches nothing): only escalations move cases into it.
  const l2 = await ws.post('/api/v1/queues', { name: 'L2', strategy: 'least_loaded', match: { tags: ['never-matches'] } })
  assert.equal(l2.status, 201, JSON.stringify(l2.body))
  const queueId: string = l2.body.id
  await created(
    await ws.post('/api/v1/sla-policies', {
      name: 'Escalating',
      targets: { firstResponseMinutes: 60 },
      escalations: [
        { percent: 100, actions: [{ type: 'notify_assignee', message: 'Overdue' }, { type: 'raise_priority' }] },
        { percent: 150, actions: [{ type: 'move_to_queue', queueId, tier: 'L2', note: 'L1 could not answer within 90 minutes' }] },
      ],
    }),
  )
  const bad = await ws.post('/api/v1/sla-policies', { name: 'No note', targets: { firstResponseMinutes: 60 }, escalations: [{ percent: 150, actions: [{ type: 'move_to_queue', queueId }] }] })
  assert.equal(bad.status, 400, 'the handover note is mandatory')
  const c = await openCase(ws)
  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { assigneeId: ws.adminUserId })).status, 200)
  await s.settle()
  const published: Array<{ type: string; payload: Record<string, unknown> }> = []
  const unsubscribe = s.app.platform.bus.subscribe((e) => {
    if (e.conversationId === c.id) published.push(e)
  })
  try {
    clock.set('2026-11-16T10:01:00Z')
    await s.app.services.sla.runDueChecks()
    await s.settle()
    const level1 = await timelineEvents(ws, c.id!, 'sla.escalated')
    assert.equal(level1.length, 1)
    assert.deepEqual(level1[0]!.notify, [{ userId: ws.adminUserId, as: 'assignee', message: 'Overdue' }])
    assert.ok(published.some((e) => e.type === 'sla.escalated'), 'pushed to realtime subscribers')
    assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.priority, 'high')

    clock.set('2026-11-16T10:31:00Z')
    await s.app.services.sla.runDueChecks()
    await s.settle()
    assert.equal((await timelineEvents(ws, c.id!, 'sla.escalated')).length, 2)
    assert.deepEqual(await timelineEvents(ws, c.id!, 'sla.escalation-skipped'), [])
    const after = (await ws.get(`/api/v1/conversations/${c.id}`)).body
    assert.equal(after.priority, 'high', 'raised once')
    assert.equal(after.assigneeId, null, 'handed over: the L1 assignee no longer holds it')
    const decisions = (await ws.get(`/api/v1/conversations/${c.id}/routing-decisions`)).body.items as Array<{ queueId: string | null; reason: string }>
    const moved = decisions.find((d) => d.queueId === queueId)
    assert.ok(moved, JSON.stringify(decisions))
    assert.match(moved.reason, /\[L2\] L1 could not answer within 90 minutes/)
  } finally {
    unsubscribe()
  }
})

test('concurrent cases, replies and reads: every clock starts and is fulfilled once', async () => {
  clock.set('2026-11-16T09:00:00Z')
  const ws = await s.workspace()
  await created(await ws.post('/api/v1/sla-policies', { name: 'All', targets: { firstResponseMinutes: 30, resolutionMinutes: 600 } }))
  const cases = await Promise.all(Array.from({ length: 16 }, () => openCase(ws)))
  await s.settle()
  clock.set('2026-11-16T09:10:00Z')
  const results = await Promise.all(
    cases.flatMap((c) => [ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'On it' }), ws.get(`/api/v1/conversations/${c.id}/sla`), ws.get(`/api/v1/conversations/${c.id}`)]),
  )
  for (const r of results) assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body))
  await s.settle()
  for (const c of cases) {
    const d = await ws.get(`/api/v1/conversations/${c.id}/sla`)
    const fr = d.body.clocks.find((k: { clock: string }) => k.clock === 'first_response')
    assert.equal(fr.state, 'fulfilled')
    assert.equal(fr.elapsedMinutes, 10)
    const kinds = d.body.history.map((h: { clock: string; kind: string }) => `${h.clock}:${h.kind}`)
    assert.equal(kinds.filter((k: string) => k === 'first_response:started').length, 1)
    assert.equal(kinds.filter((k: string) => k === 'first_response:fulfilled').length, 1)
  }
})

test('another workspace sees none of it: 404 for its conversations, calendars and policies', async () => {
  const ws = await s.workspace()
  const other = await s.workspace()
  const policy = await parisPolicy(ws)
  const c = await openCase(ws)
  await s.settle()
  assert.equal((await other.get(`/api/v1/conversations/${c.id}/sla`)).status, 404)
  assert.equal((await other.get(`/api/v1/sla-policies/${policy.id}`)).status, 404)
  assert.equal((await other.patch(`/api/v1/sla-policies/${policy.id}`, { name: 'Mine' })).status, 404)
  assert.equal((await other.post(`/api/v1/sla-policies/${policy.id}/simulate`, { receivedAt: '2026-11-13T15:55:00Z' })).status, 404)
  assert.equal((await other.get(`/api/v1/business-calendars/${policy.calendarId}`)).status, 404)
  assert.equal((await other.delete(`/api/v1/business-calendars/${policy.calendarId}`)).status, 404)
  assert.deepEqual((await other.get('/api/v1/sla-policies')).body.items, [])
  // Nor can a policy of one workspace use the other's calendar.
  const cross = await other.post('/api/v1/sla-policies', { name: 'Cross', calendarId: policy.calendarId, targets: { firstResponseMinutes: 5 } })
  assert.equal(cross.status, 400, JSON.stringify(cross.body))
})

test('a policy matching on tags takes a case once it is tagged, and lets it go when the tag is removed', async () => {
  clock.set('2026-11-16T09:00:00Z')
  const ws = await s.workspace()
  const vip = await created(await ws.post('/api/v1/sla-policies', { name: 'VIP', match: { tags: ['vip'], channel: ['api', 'email'] }, targets: { firstResponseMinutes: 10 } }))
  const c = await openCase(ws)
  await s.settle()
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.sla, null, 'no policy matches yet')
  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { tags: ['VIP', 'billing'] })).status, 200)
  await s.settle()
  const tagged = await ws.get(`/api/v1/conversations/${c.id}`)
  assert.equal(tagged.body.sla?.policyId, vip.id, JSON.stringify(tagged.body))
  assert.equal(tagged.body.sla.firstResponseDueAt, '2026-11-16T09:10:00.000Z')
  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { tags: [] })).status, 200)
  await s.settle()
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.sla, null)
})
