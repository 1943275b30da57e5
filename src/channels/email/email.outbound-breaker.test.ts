import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { eventsOf, openConversation, waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { uniqueAddress } from './test-helpers.ts'
import { startRelay } from './test-relay.ts'

// The instance relay (OUTBOUND_SMTP_URL, with AUTH) is down: it answers 451 to
// everything. After OUTBOUND_BREAKER_FAILURES temporary failures in a row the
// inbox's circuit opens, and sends are deferred without contacting the relay.
const relay = await startRelay({ auth: { user: 'relay-user', pass: 's3cret pass' } })
relay.refuseWith(() => 451)
const t = await useTestApp(
  {
    OUTBOUND_SMTP_URL: `smtp://relay-user:${encodeURIComponent('s3cret pass')}@127.0.0.1:${relay.port}`,
    OUTBOUND_RETRY_DELAY_SECONDS: '1',
    OUTBOUND_RETRY_LIMIT: '2',
    OUTBOUND_BREAKER_FAILURES: '2',
    OUTBOUND_BREAKER_COOLDOWN_SECONDS: '3600',
  },
  { start: true },
)

const statuses = async (conversationId: string, messageId: string) =>
  (await eventsOf(t, conversationId)).filter((e) => e.type === 'message.delivery-updated' && e.payload.messageId === messageId).map((e) => ({ status: e.payload.status, error: String(e.payload.error) }))

test('the circuit of an inbox opens after repeated temporary failures; later sends are deferred without trying', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inbox = await ws.post('/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address } })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  // An agent-started conversation on the email inbox, to a contact with an address.
  const c = await openConversation(ws, { inboxId: inbox.body.id, contact: { name: 'Ada', email: 'ada@example.com' } })
  const first = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'First', inboxId: inbox.body.id })
  assert.equal(first.status, 201, JSON.stringify(first.body))

  const failed = await waitForDelivery(ws, c.id, first.body.id, ['sent', 'failed'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.match(failed.deliveryError, /^CIRCUIT_OPEN: circuit open: .*\(gave up after 3 attempts\)$/)
  const history = await statuses(c.id, first.body.id)
  assert.deepEqual(history.map((h) => h.status), ['deferred', 'deferred', 'failed'])
  assert.match(history[0]!.error, /^SMTP_TEMPORARY_FAILURE: 451 /)
  assert.match(history[1]!.error, /^SMTP_TEMPORARY_FAILURE: 451 /)
  assert.equal(relay.attempts.length, 2, 'the relay was tried only until the circuit opened')
  assert.ok(relay.logins.length >= 2 && relay.logins.every((u) => u === 'relay-user'), 'the credentials of OUTBOUND_SMTP_URL were used')

  // While open, a new reply is deferred at once with a clear reason, and the relay is left alone.
  const second = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Second', inboxId: inbox.body.id })
  const deferred = await waitForDelivery(ws, c.id, second.body.id, ['deferred', 'sent', 'failed'])
  assert.equal(deferred.deliveryStatus, 'deferred')
  assert.match(deferred.deliveryError, /^CIRCUIT_OPEN: circuit open: the last 2 sends through this inbox failed temporarily/)
  assert.equal(relay.attempts.length, 2)
})
