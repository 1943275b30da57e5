import assert from 'node:assert/strict'
import { test } from 'node:test'
import { manualClock } from './index.ts'
import { created, openCase, useSlaApp } from './test-helpers.ts'

// The clocks listener handles a batch of events at once (one statement reads
// the policies; each conversation is evaluated once). Through the HTTP API.
const clock = manualClock('2026-11-16T09:00:00Z')
const s = await useSlaApp(clock)
const dispatcher = s.app.platform.dispatcher

type Ws = Awaited<ReturnType<typeof s.workspace>>

/** What a user sees of a case's clocks, without the instants of the evaluation itself. */
async function clocksOf(ws: Ws, id: string) {
  const d = await ws.get(`/api/v1/conversations/${id}/sla`)
  assert.equal(d.status, 200, JSON.stringify(d.body))
  return {
    policy: d.body.policy,
    due: [d.body.firstResponseDueAt, d.body.nextResponseDueAt, d.body.resolutionDueAt],
    breaches: d.body.breaches,
    clocks: d.body.clocks,
    // As a set: entries of one instant are stored in the order of the evaluations that found them.
    history: (d.body.history as Array<{ kind: string; clock: string; at: string; text: string }>)
      .map((h) => JSON.stringify(h.kind === 'policy' ? { kind: h.kind, text: h.text } : { kind: h.kind, clock: h.clock, at: h.at, text: h.text }))
      .sort(),
  }
}

/**
 * A case opened and answered with a question (pending), at one instant of the
 * SLA clock (the manual clock stamps facts when they are handled).
 */
async function story(ws: Ws, settleEachStep: boolean) {
  const step = async () => {
    if (settleEachStep) await s.settle()
  }
  const c = await openCase(ws)
  await step()
  await created(await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Which order?', status: 'pending' }))
  await step()
  return c.id as string
}

test('the events of a conversation handled in one pass give the clocks that handling them one by one gives', async () => {
  clock.set('2026-11-16T09:00:00Z')
  const ws = await s.workspace()
  await created(await ws.post('/api/v1/sla-policies', { name: 'VIP', match: { tags: ['vip'] }, targets: { firstResponseMinutes: 15, resolutionMinutes: 240 } }))
  await created(await ws.post('/api/v1/sla-policies', { name: 'Standard', targets: { firstResponseMinutes: 60, resolutionMinutes: 480 }, warnings: [{ percent: 50 }] }))
  await s.settle()

  const oneByOne = await story(ws, true)
  dispatcher.stop()
  try {
    const together = await story(ws, false)
    const together2 = await story(ws, false)
    await s.settle()
    const expected = await clocksOf(ws, oneByOne)
    assert.equal(expected.policy.name, 'Standard')
    assert.ok(expected.history.some((h) => h.includes('"kind":"paused"')), 'the reply paused the resolution clock')
    assert.deepEqual(await clocksOf(ws, together), expected)
    assert.deepEqual(await clocksOf(ws, together2), expected)
  } finally {
    dispatcher.start()
  }
})

test('a policy created after creates in a workspace without one applies to the next case at once; deactivated, it stops applying', async () => {
  clock.set('2026-11-16T10:00:00Z')
  const ws = await s.workspace()
  const before = await openCase(ws)
  await s.settle()
  assert.equal((await ws.get(`/api/v1/conversations/${before.id}`)).body.sla, null, 'no policy: no clocks')

  const policy = await created(await ws.post('/api/v1/sla-policies', { name: 'Standard', targets: { firstResponseMinutes: 30 } }))
  const next = await openCase(ws)
  await s.settle()
  const conv = await ws.get(`/api/v1/conversations/${next.id}`)
  assert.equal(conv.body.sla?.policyId, policy.id)
  assert.equal(conv.body.sla.firstResponseDueAt, '2026-11-16T10:30:00.000Z')

  const off = await ws.patch(`/api/v1/sla-policies/${policy.id}`, { active: false })
  assert.equal(off.status, 200, JSON.stringify(off.body))
  const later = await openCase(ws)
  await s.settle()
  assert.equal((await ws.get(`/api/v1/conversations/${later.id}`)).body.sla, null)
})
