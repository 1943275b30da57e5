import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { AppError } from '../../platform/errors.ts'
import { allowedTransitions, assertTransition, canTransition, type ConversationStatus, conversationStatuses } from './conversations.types.ts'

const status = fc.constantFrom(...conversationStatuses)
const notClosed = fc.constantFrom(...conversationStatuses.filter((s) => s !== 'closed'))

/** Every status reachable from `from` by allowed transitions (including itself). */
function reachable(from: ConversationStatus): Set<ConversationStatus> {
  const seen = new Set<ConversationStatus>([from])
  const queue = [from]
  for (let s = queue.shift(); s !== undefined; s = queue.shift())
    for (const next of allowedTransitions(s)) {
      if (seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  return seen
}

test('random walks from open only ever visit statuses of the machine, and only by allowed steps', () => {
  fc.assert(
    fc.property(fc.array(status, { maxLength: 60 }), (attempts) => {
      let current: ConversationStatus = 'open'
      for (const to of attempts) {
        if (canTransition(current, to)) {
          assertTransition(current, to) // must not throw when allowed
          current = to
        } else {
          assert.throws(() => assertTransition(current, to), (e: unknown) => e instanceof AppError && e.code === 'INVALID_TRANSITION')
        }
        assert.ok(conversationStatuses.includes(current), `left the machine: ${current}`)
      }
    }),
  )
})

test('closed is terminal', () => {
  fc.assert(
    fc.property(status, (to) => {
      assert.equal(canTransition('closed', to), false)
      assert.throws(
        () => assertTransition('closed', to),
        (e: unknown) => e instanceof AppError && e.status === 422 && JSON.stringify(e.details) === JSON.stringify({ from: 'closed', to, allowed: [] }),
      )
    }),
  )
  assert.deepEqual([...reachable('closed')], ['closed'])
})

test('every status other than closed can reach solved', () => {
  fc.assert(fc.property(notClosed, (from) => assert.ok(reachable(from).has('solved'), `${from} cannot reach solved`)))
})

test('from solved, only open (reopen) and closed', () => {
  fc.assert(fc.property(status, (to) => assert.equal(canTransition('solved', to), to === 'open' || to === 'closed')))
})

test('staying in the same status is never a transition; the error lists what is allowed', () => {
  fc.assert(fc.property(status, (s) => assert.equal(canTransition(s, s), false)))
  assert.throws(
    () => assertTransition('pending', 'closed'),
    (e: unknown) => e instanceof AppError && JSON.stringify(e.details) === JSON.stringify({ from: 'pending', to: 'closed', allowed: ['open', 'on_hold', 'solved'] }),
  )
})

test('every status is reachable from open', () => {
  assert.deepEqual([...reachable('open')].sort(), [...conversationStatuses].sort())
})
