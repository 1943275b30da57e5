import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { OutboundMessage } from '../channel.ts'
import { createTwilioSmsAdapter } from './adapter.ts'
import { startTwilioSandbox, type TwilioSandbox } from './sandbox.ts'

// The outbound adapter against the sandbox Twilio over real HTTP: the request
// in Twilio's format, and each provider failure mapped to a retryable or final result.
let sandbox: TwilioSandbox
before(async () => {
  sandbox = await startTwilioSandbox()
})
after(() => sandbox.close())

const msg = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  messageId: '00000000-0000-4000-8000-000000000001',
  conversationId: '00000000-0000-4000-8000-000000000002',
  to: { identities: [{ kind: 'email', value: 'a@example.com' }, { kind: 'phone', value: '+14155550101' }] },
  text: 'Your refund is on its way',
  ...over,
})
const adapter = (over: Record<string, unknown> = {}, timeoutMs?: number) =>
  createTwilioSmsAdapter({ provider: 'twilio', phoneNumber: '+12065550150', accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBaseUrl: sandbox.url, statusCallbackUrl: (id) => `https://desk.example.test/webhooks/twilio/inbox?messageId=${id}`, ...over }, timeoutMs ? { timeoutMs } : {})

test('a send reaches Twilio’s Messages.json with basic auth and the form fields, and returns the sid', async () => {
  const result = await adapter().send(msg())
  assert.equal(result.ok, true)
  const sms = sandbox.sent.at(-1)!
  assert.equal(result.ok && result.externalId, sms.sid)
  assert.match(sms.sid, /^SM[0-9a-f]{32}$/)
  assert.deepEqual({ to: sms.to, from: sms.from, body: sms.body, authUser: sms.authUser }, { to: '+14155550101', from: '+12065550150', body: 'Your refund is on its way', authUser: sandbox.accountSid })
  assert.equal(sms.statusCallback, 'https://desk.example.test/webhooks/twilio/inbox?messageId=00000000-0000-4000-8000-000000000001')
})

test('the reply goes to the number the customer wrote from when it is theirs', async () => {
  const m = msg({ to: { identities: [{ kind: 'phone', value: '+14155550101' }, { kind: 'phone', value: '+14155550102' }] }, parent: { providerMessageId: 'SMx', metadata: { sms: { from: '+14155550102' } } } })
  assert.equal((await adapter().send(m)).ok, true)
  assert.equal(sandbox.sent.at(-1)!.to, '+14155550102')
})

test('429 with Retry-After and 5xx are retryable; 401 and 400 are final; 21610 is withdrawn consent', async () => {
  sandbox.failNext({ status: 429, retryAfterSeconds: 7 })
  const limited = await adapter().send(msg())
  assert.deepEqual(limited.ok === false && [limited.retryable, limited.code, limited.details?.retryAfter], [true, 'PROVIDER_RATE_LIMITED', '7'])
  assert.match(limited.ok === false ? limited.message : '', /retry after 7 s/)

  sandbox.failNext({ status: 503 })
  const down = await adapter().send(msg())
  assert.deepEqual(down.ok === false && [down.retryable, down.code], [true, 'PROVIDER_UNAVAILABLE'])

  const badAuth = await adapter({ authToken: 'wrong' }).send(msg())
  assert.deepEqual(badAuth.ok === false && [badAuth.retryable, badAuth.code], [false, 'PROVIDER_AUTH_FAILED'])

  sandbox.failNext({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." })
  const refused = await adapter().send(msg())
  assert.deepEqual(refused.ok === false && [refused.retryable, refused.code], [false, 'PROVIDER_REJECTED'])
  assert.match(refused.ok === false ? refused.message : '', /21211/)

  sandbox.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' })
  const stopped = await adapter().send(msg())
  assert.deepEqual(stopped.ok === false && [stopped.retryable, stopped.code], [false, 'CONSENT_WITHDRAWN'])
})

test('no answer in time is a retryable timeout; an unreachable API is retryable too', async () => {
  sandbox.stallNext(1500)
  const slow = await adapter({}, 200).send(msg())
  assert.deepEqual(slow.ok === false && [slow.retryable, slow.code], [true, 'PROVIDER_TIMEOUT'])
  const gone = await adapter({ apiBaseUrl: 'http://127.0.0.1:9' }).send(msg())
  assert.deepEqual(gone.ok === false && [gone.retryable, gone.code], [true, 'PROVIDER_UNREACHABLE'])
})

test('no phone number, or a sandbox inbox without a server, is not sent', async () => {
  const before = sandbox.sent.length
  const none = await adapter().send(msg({ to: { identities: [{ kind: 'email', value: 'a@example.com' }] } }))
  assert.deepEqual(none.ok === false && [none.retryable, none.code], [false, 'NO_RECIPIENT'])
  const sandboxOnly = await createTwilioSmsAdapter({ provider: 'sandbox', phoneNumber: '+12065550150' }).send(msg())
  assert.deepEqual(sandboxOnly.ok === false && [sandboxOnly.code, sandboxOnly.notDelivered], ['NO_OUTBOUND_SERVER', true])
  assert.equal(sandbox.sent.length, before)
})
