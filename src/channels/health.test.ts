import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Row } from '../platform/db/schema.ts'
import { computeHealth } from './health.ts'

const row = (over: Partial<Row<'inbox_health'>>): Row<'inbox_health'> => ({
  workspace_id: 'w',
  inbox_id: 'i',
  consecutive_failures: 0,
  last_success_at: null,
  last_failure_at: null,
  last_error_code: null,
  last_error_message: null,
  last_error_at: null,
  last_webhook_at: null,
  last_webhook_rejected_at: null,
  updated_at: new Date(),
  ...over,
})
const now = new Date('2026-12-02T12:00:00Z')
const ago = (min: number) => new Date(now.getTime() - min * 60_000)

test('no record yet is healthy with nothing known; successes are healthy', () => {
  assert.deepEqual([computeHealth('i', undefined, { failuresToDown: 5, now }).state, computeHealth('i', undefined, { failuresToDown: 5, now }).reasons], ['healthy', ['no sends or webhooks so far']])
  assert.equal(computeHealth('i', row({ last_success_at: ago(1) }), { failuresToDown: 5, now }).state, 'healthy')
})

test('temporary send failures in a row degrade, and at the breaker’s count the channel is down, with the last error', () => {
  const failing = { last_error_code: 'PROVIDER_UNAVAILABLE', last_error_message: 'Twilio answered 503', last_error_at: ago(1), last_failure_at: ago(1) }
  const degraded = computeHealth('i', row({ ...failing, consecutive_failures: 2 }), { failuresToDown: 5, now })
  assert.equal(degraded.state, 'degraded')
  assert.deepEqual(degraded.lastError, { code: 'PROVIDER_UNAVAILABLE', message: 'Twilio answered 503', at: ago(1).toISOString() })
  assert.equal(computeHealth('i', row({ ...failing, consecutive_failures: 5 }), { failuresToDown: 5, now }).state, 'down')
})

test('webhooks refused for a bad signature degrade until one is accepted again, and only for 15 minutes', () => {
  assert.equal(computeHealth('i', row({ last_webhook_rejected_at: ago(2), last_webhook_at: ago(10) }), { failuresToDown: 5, now }).state, 'degraded')
  assert.equal(computeHealth('i', row({ last_webhook_rejected_at: ago(2), last_webhook_at: ago(1) }), { failuresToDown: 5, now }).state, 'healthy')
  assert.equal(computeHealth('i', row({ last_webhook_rejected_at: ago(20) }), { failuresToDown: 5, now }).state, 'healthy')
})
