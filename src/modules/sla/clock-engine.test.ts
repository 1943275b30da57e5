import assert from 'node:assert/strict'
import { test } from 'node:test'
import { elapsedTime } from './calendar.ts'
import { evaluate } from './clock-engine.ts'
import { type Fact, policyRulesSchema } from './sla.types.ts'

// The pure engine on elapsed time: minutes after 2026-01-05T00:00Z.
const at = (min: number) => new Date(Date.UTC(2026, 0, 5) + min * 60_000)
const rules = (r: Record<string, unknown>) => policyRulesSchema.parse(r)
const kinds = (ev: ReturnType<typeof evaluate>) => ev.entries.map((e) => `${e.clock}#${e.cycle}:${e.kind}`)

test('next response: each customer message after a reply starts a new cycle; a second message while waiting does not', () => {
  const facts: Fact[] = [
    { at: at(0), type: 'received' },
    { at: at(10), type: 'agent_reply' },
    { at: at(20), type: 'customer_message' },
    { at: at(25), type: 'customer_message' },
    { at: at(50), type: 'agent_reply' },
    { at: at(60), type: 'customer_message' },
  ]
  const ev = evaluate(rules({ targets: { firstResponseMinutes: 15, nextResponseMinutes: 20 } }), elapsedTime, facts, at(90))
  assert.deepEqual(kinds(ev), [
    'first_response#1:started',
    'first_response#1:fulfilled',
    'next_response#1:started',
    'next_response#1:breached',
    'next_response#1:fulfilled',
    'next_response#2:started',
    'next_response#2:breached',
  ])
  assert.deepEqual(ev.breaches.map((b) => [b.clock, b.cycle, b.at.toISOString()]), [
    ['next_response', 1, at(40).toISOString()],
    ['next_response', 2, at(80).toISOString()],
  ])
  assert.equal(ev.dueAt.next_response?.toISOString(), at(80).toISOString(), 'an overdue clock keeps its due time')
})

test('a reply at the very instant the target falls due is in time', () => {
  const ev = evaluate(rules({ targets: { firstResponseMinutes: 15 } }), elapsedTime, [{ at: at(0), type: 'received' }, { at: at(15), type: 'agent_reply' }], at(30))
  assert.deepEqual(ev.breaches, [])
})

test('pauseFirstResponse pauses the response clock too; solving stops it; reopening resumes resolution with its elapsed time', () => {
  const r = rules({ targets: { firstResponseMinutes: 30, resolutionMinutes: 100 }, pauseFirstResponse: true })
  const facts: Fact[] = [
    { at: at(0), type: 'received' },
    { at: at(10), type: 'status', status: 'on_hold' },
    { at: at(70), type: 'status', status: 'open' },
    { at: at(80), type: 'status', status: 'solved' },
    { at: at(200), type: 'status', status: 'open' },
  ]
  const ev = evaluate(r, elapsedTime, facts, at(210))
  const fr = ev.clocks.find((c) => c.clock === 'first_response')!
  assert.equal(fr.state, 'stopped')
  assert.equal(fr.elapsedMinutes, 20)
  const res = ev.clocks.find((c) => c.clock === 'resolution')!
  assert.equal(res.state, 'running')
  assert.equal(res.elapsedMinutes, 30)
  assert.equal(ev.dueAt.resolution?.toISOString(), at(280).toISOString(), '20 min before solving, 80 left from the reopen at 200')
  assert.equal(ev.nextAt?.toISOString(), at(280).toISOString())
})

test('warnings and escalation levels are crossed in order, once, and the next one is the next wake-up', () => {
  const r = rules({
    targets: { firstResponseMinutes: 100 },
    warnings: [{ percent: 75 }],
    escalations: [{ percent: 50, actions: [{ type: 'notify_assignee' }] }, { percent: 150, actions: [{ type: 'raise_priority' }] }],
  })
  const ev = evaluate(r, elapsedTime, [{ at: at(0), type: 'received' }], at(120))
  assert.deepEqual(kinds(ev), ['first_response#1:started', 'first_response#1:escalation', 'first_response#1:warning', 'first_response#1:breached'])
  assert.deepEqual(ev.entries.map((e) => e.at.getTime() - at(0).getTime()), [0, 50, 75, 100].map((m) => m * 60_000))
  assert.equal(ev.nextAt?.toISOString(), at(150).toISOString())
  // The same facts evaluated later give the same keys: stored entries are never doubled.
  const later = evaluate(r, elapsedTime, [{ at: at(0), type: 'received' }], at(200))
  assert.deepEqual(later.entries.slice(0, 4).map((e) => e.key), ev.entries.map((e) => e.key))
  assert.equal(later.nextAt, null)
})
