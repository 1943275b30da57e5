import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestApp, type TestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { inboundSmsParams, startTwilioSandbox, type TwilioSandbox } from './sandbox.ts'

// SMS end to end through the sandbox Twilio, over real HTTP both ways: the app
// listens on a local port behind "https://desk.example.test" (PUBLIC_URL, as
// behind a proxy); the sandbox signs webhooks over the public URL and delivers
// them to the local port, and receives the app's Messages.json calls.
const PUBLIC = 'https://desk.example.test'
const LINE = '+12065550150'
let t: TestApp
let sandbox: TwilioSandbox
let ws: WorkspaceClient
let inboxId: string
let hook: string
let local: string

before(async () => {
  sandbox = await startTwilioSandbox()
  t = await startTestApp({ PUBLIC_URL: PUBLIC, OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '4', OUTBOUND_BREAKER_FAILURES: '3', SMS_INBOUND_RATE_LIMIT: '5' }, { start: true })
  local = await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
  sandbox.route(PUBLIC, local)
  ws = await t.workspace('SMS')
  const inbox = await ws.post('/api/v1/inboxes', {
    name: 'SMS line',
    channel: 'sms',
    config: { provider: 'twilio', phoneNumber: LINE, accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBaseUrl: sandbox.url },
  })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  inboxId = inbox.body.id
  hook = `${PUBLIC}/webhooks/twilio/${inboxId}`
})
after(async () => {
  await t?.close()
  await sandbox?.close()
})

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON in assertions

const text = (from: string, body: string, extra: Partial<Parameters<typeof inboundSmsParams>[1]> = {}) => inboundSmsParams(sandbox, { from, to: LINE, body, ...extra })

async function caseOf(phone: string): Promise<{ conversation: Json; messages: Json[] }> {
  const contacts = await ws.get(`/api/v1/contacts?query=${encodeURIComponent(phone)}`)
  const contact = contacts.body.items[0]
  assert.ok(contact, `no contact for ${phone}`)
  const list = await ws.get('/api/v1/conversations?limit=100')
  const conversation = list.body.items.find((c: Json) => c.contactId === contact.id)
  assert.ok(conversation, `no case for ${phone}`)
  const messages = (await ws.get(`/api/v1/conversations/${conversation.id}/messages?limit=100`)).body.items
  return { conversation, messages }
}

async function messageCount(): Promise<number> {
  const r = await t.database.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', ws.workspaceId).executeTakeFirstOrThrow()
  return Number(r.n)
}

test('a signed SMS becomes a case for the sender; the next one joins it; the answer is empty TwiML', async () => {
  const first = await sandbox.webhook(hook, text('+14155550101', 'My parcel never arrived'))
  assert.equal(first.status, 200, first.body)
  assert.match(first.headers['content-type'] ?? '', /text\/xml/)
  assert.match(first.body, /<Response\/>/)
  const second = await sandbox.webhook(hook, text('+14155550101', 'Order 1234'))
  assert.equal(second.status, 200, second.body)
  const { conversation, messages } = await caseOf('+14155550101')
  assert.equal(conversation.channel, 'sms')
  assert.deepEqual(messages.map((m: Json) => [m.direction, m.channel, m.text]), [['inbound', 'sms', 'My parcel never arrived'], ['inbound', 'sms', 'Order 1234']])
  assert.match(messages[0].providerMessageId, /^SM/)
  assert.equal(messages[0].metadata.sms.from, '+14155550101')
})

test('a forged, unsigned or wrongly addressed webhook is 401 and stores nothing', async () => {
  const before = await messageCount()
  const forged = await sandbox.webhook(hook, text('+14155550102', 'forged'), { authToken: 'not-the-token' })
  assert.equal(forged.status, 401)
  assert.equal(JSON.parse(forged.body).error.code, 'WEBHOOK_SIGNATURE_INVALID')
  const unsigned = await sandbox.webhook(hook, text('+14155550102', 'unsigned'), { signature: '' })
  assert.equal(unsigned.status, 401)
  // Correctly signed, but over the address the app listens on rather than PUBLIC_URL, which Twilio was configured with.
  const direct = await sandbox.webhook(`${local}/webhooks/twilio/${inboxId}`, text('+14155550102', 'elsewhere'))
  assert.equal(direct.status, 401)
  assert.equal(await messageCount(), before)
  const health = await ws.get(`/api/v1/inboxes/${inboxId}/health`)
  assert.equal(health.status, 200)
  assert.equal(health.body.state, 'degraded')
  assert.match(health.body.reasons.join(' '), /bad signature/)
})

test('a replayed webhook (same MessageSid) is absorbed, also when 8 copies arrive at once', async () => {
  const params = text('+14155550103', 'Only once please')
  const results = await Promise.all(Array.from({ length: 8 }, () => sandbox.webhook(hook, params)))
  assert.deepEqual(results.map((r) => r.status), Array(8).fill(200))
  const { messages } = await caseOf('+14155550103')
  assert.equal(messages.filter((m: Json) => m.providerMessageId === params.MessageSid).length, 1)
})

test('16 senders at once each get their own case', async () => {
  const senders = Array.from({ length: 16 }, (_, i) => `+1415555${String(1000 + i)}`)
  const results = await Promise.all(senders.map((s) => sandbox.webhook(hook, text(s, `hello from ${s}`))))
  assert.deepEqual(results.map((r) => r.status), Array(16).fill(200))
  for (const s of senders) assert.equal((await caseOf(s)).messages.length, 1)
})

test('an MMS picture is fetched from the provider into an attachment; an oversize one is listed, not stored', async () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(2048, 7)])
  const url = sandbox.addMedia('image/png', png)
  const big = sandbox.addMedia('image/jpeg', Buffer.alloc(6 * 1024 * 1024, 1))
  const res = await sandbox.webhook(hook, text('+14155550104', 'See the damage', { mediaUrls: [{ url, contentType: 'image/png' }, { url: big, contentType: 'image/jpeg' }] }))
  assert.equal(res.status, 200, res.body)
  const { conversation, messages } = await caseOf('+14155550104')
  const m = messages[0]
  assert.equal(m.attachments.length, 1)
  assert.equal(m.attachments[0].contentType, 'image/png')
  assert.equal(m.metadata.sms.mediaNotFetched.length, 1)
  assert.match(m.metadata.sms.mediaNotFetched[0].error, /limit/)
  const file = await ws.get(`/api/v1/conversations/${conversation.id}/messages/${m.id}/attachments/${m.attachments[0].id}`)
  assert.equal(file.status, 200)
  assert.deepEqual(file.raw.rawPayload, png)
})

test('an agent reply reaches Twilio in its format; status callbacks update the message and the timeline', async () => {
  await sandbox.webhook(hook, text('+14155550105', 'Can you call me?'))
  const { conversation } = await caseOf('+14155550105')
  const reply = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'We will call you at 5pm' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const sent = await waitForDelivery(ws, conversation.id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  const sms = sandbox.sent.find((s) => s.sid === sent.providerMessageId)
  assert.ok(sms, 'the sandbox received the message under the sid recorded')
  assert.deepEqual([sms.to, sms.from, sms.body, sms.authUser], ['+14155550105', LINE, 'We will call you at 5pm', sandbox.accountSid])
  assert.equal(sms.statusCallback, `${hook}?messageId=${reply.body.id}`)

  assert.equal((await sandbox.status(sms.sid, 'delivered')).status, 204)
  assert.equal((await sandbox.status(sms.sid, 'sent')).status, 204) // late: ignored
  const delivered = await waitForDelivery(ws, conversation.id, reply.body.id, ['delivered'])
  assert.equal(delivered.metadata.providerStatus, 'delivered')

  const second = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'Are you there?' })
  const secondSent = await waitForDelivery(ws, conversation.id, second.body.id, ['sent'])
  await sandbox.status(secondSent.providerMessageId, 'undelivered', { ErrorCode: '30003' })
  const failed = await waitForDelivery(ws, conversation.id, second.body.id, ['failed'])
  assert.match(failed.deliveryError, /30003: Unreachable destination handset/)
  const timeline = (await ws.get(`/api/v1/conversations/${conversation.id}/timeline?limit=100`)).body.items
  const reported = timeline.filter((i: Json) => i.kind === 'event' && i.event.type === 'message.status-reported').map((i: Json) => i.event.payload.providerStatus)
  assert.deepEqual(reported, ['delivered', 'undelivered'])
})

test('STOP withdraws SMS consent (replies refused with CONSENT_WITHDRAWN); START grants it again', async () => {
  await sandbox.webhook(hook, text('+14155550106', 'Hi'))
  const { conversation } = await caseOf('+14155550106')
  await sandbox.webhook(hook, text('+14155550106', ' stop '))
  const refused = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'One more thing' })
  assert.equal(refused.status, 422)
  assert.equal(refused.body.error.code, 'CONSENT_WITHDRAWN')
  assert.match(refused.body.error.message, /STOP/)
  const note = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'Customer opted out', private: true })
  assert.equal(note.status, 201, 'notes are not messages to the customer')
  const contactId = conversation.contactId
  const consents = (await ws.get(`/api/v1/contacts/${contactId}/consents`)).body.items
  assert.deepEqual(consents.map((c: Json) => [c.channel, c.status, c.keyword, c.identity]), [['sms', 'withdrawn', 'STOP', '+14155550106']])
  assert.equal((await (await t.workspace('Elsewhere')).get(`/api/v1/contacts/${contactId}/consents`)).status, 404)
  await sandbox.webhook(hook, text('+14155550106', 'START'))
  const allowed = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'Welcome back' })
  assert.equal(allowed.status, 201, JSON.stringify(allowed.body))
  assert.equal((await waitForDelivery(ws, conversation.id, allowed.body.id, ['sent', 'failed'])).deliveryStatus, 'sent')
  const timeline = (await ws.get(`/api/v1/conversations/${conversation.id}/timeline?limit=100`)).body.items
  const changes = timeline.filter((i: Json) => i.kind === 'event' && i.event.type === 'contact.consent-changed').map((i: Json) => [i.event.payload.status, i.event.payload.keyword])
  assert.deepEqual(changes, [['withdrawn', 'STOP'], ['granted', 'START']])
})

test('Twilio answering 429 then 503 is retried until the message is sent; health shows the error', async () => {
  await sandbox.webhook(hook, text('+14155550107', 'Hello?'))
  const { conversation } = await caseOf('+14155550107')
  sandbox.failNext({ status: 429, retryAfterSeconds: 1 })
  sandbox.failNext({ status: 503 })
  const reply = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'Sorry for the wait' })
  const sent = await waitForDelivery(ws, conversation.id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  const attempts = sandbox.calls.filter((c) => c.path.endsWith('/Messages.json') && c.body === 'Sorry for the wait').map((c) => c.status)
  assert.deepEqual(attempts, [429, 503, 201])
  const updates = await t.database.db.selectFrom('events').select('payload').where('conversation_id', '=', conversation.id).where('type', '=', 'message.delivery-updated').orderBy('id').execute()
  const errors = updates.map((u) => (u.payload as Json).error as string | null)
  assert.match(errors[0] ?? '', /PROVIDER_RATE_LIMITED: .*retry after 1 s/)
  assert.match(errors[1] ?? '', /PROVIDER_UNAVAILABLE/)
  await t.omnidesk.platform.dispatcher.drain()
  const health = (await ws.get(`/api/v1/inboxes/${inboxId}/health`)).body
  assert.equal(health.lastError.code, 'PROVIDER_UNAVAILABLE')
  assert.equal(health.consecutiveFailures, 0, 'the last send succeeded')
})

test("a 429 with Retry-After longer than the backoff delays the retry by at least that long", async () => {
  await sandbox.webhook(hook, text('+14155550111', 'Hello again'))
  const { conversation } = await caseOf('+14155550111')
  // The backoff would retry after about 1 s (OUTBOUND_RETRY_DELAY_SECONDS=1); Twilio asks for 4.
  sandbox.failNext({ status: 429, retryAfterSeconds: 4 })
  const reply = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'Patience please' })
  const sent = await waitForDelivery(ws, conversation.id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  const attempts = sandbox.calls.filter((c) => c.path.endsWith('/Messages.json') && c.body === 'Patience please')
  assert.deepEqual(attempts.map((c) => c.status), [429, 201])
  const waited = (attempts[1]?.at.getTime() ?? 0) - (attempts[0]?.at.getTime() ?? 0)
  assert.ok(waited >= 4000, `the retry came ${waited} ms after the 429, sooner than the 4 s Twilio asked for`)
  const updates = await t.database.db.selectFrom('events').select('payload').where('conversation_id', '=', conversation.id).where('type', '=', 'message.delivery-updated').orderBy('id').execute()
  assert.match((updates[0]?.payload as Json).error, /PROVIDER_RATE_LIMITED: .*attempt 1; will retry in 4 s or later, as the provider asked/)
})

test('an agent reply with files goes out as an MMS: MediaUrl links under PUBLIC_URL, signed and expiring, that Twilio fetches', async () => {
  await sandbox.webhook(hook, text('+14155550112', 'Send me the label'))
  const { conversation } = await caseOf('+14155550112')
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(4096, 3)])
  const pdf = Buffer.from('%PDF-1.4 return label')
  const reply = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, {
    text: 'Here is your label',
    attachments: [
      { filename: 'label.png', contentType: 'image/png', dataBase64: png.toString('base64') },
      { filename: 'label.pdf', contentType: 'application/pdf', dataBase64: pdf.toString('base64') },
    ],
  })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const sent = await waitForDelivery(ws, conversation.id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  const mms = sandbox.sent.find((s) => s.sid === sent.providerMessageId)
  assert.ok(mms)
  assert.match(mms.sid, /^MM/)
  assert.equal(mms.body, 'Here is your label')
  assert.equal(mms.mediaUrls.length, 2)
  for (const url of mms.mediaUrls) assert.ok(url.startsWith(`${PUBLIC}/media/`), url)
  const fetched = [...mms.media].sort((a, b) => String(a.contentType).localeCompare(String(b.contentType)))
  assert.deepEqual(fetched.map((m) => [m.status, m.contentType]), [[200, 'application/pdf'], [200, 'image/png']])
  assert.deepEqual(fetched[0]?.data, pdf)
  assert.deepEqual(fetched[1]?.data, png)

  // The link is the credential: altered, it is a 404 that says nothing of the file.
  const path = (mms.mediaUrls[0] ?? '').slice(PUBLIC.length)
  const tampered = path.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
  const refused = await t.omnidesk.app.inject({ method: 'GET', url: tampered })
  assert.equal(refused.statusCode, 404)
  assert.equal(JSON.parse(refused.body).error.code, 'NOT_FOUND')
  assert.equal((await t.omnidesk.app.inject({ method: 'GET', url: '/media/not-a-token' })).statusCode, 404)
})

test('files past the MMS limit (5 MB in all) fail with a clear reason, nothing reaches Twilio', async () => {
  await sandbox.webhook(hook, text('+14155550113', 'Send me everything'))
  const { conversation } = await caseOf('+14155550113')
  const big = Buffer.alloc(3 * 1024 * 1024, 1).toString('base64')
  const calls = sandbox.calls.length
  const reply = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, {
    text: 'Two big scans',
    attachments: [
      { filename: 'a.jpg', contentType: 'image/jpeg', dataBase64: big },
      { filename: 'b.jpg', contentType: 'image/jpeg', dataBase64: big },
    ],
  })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const failed = await waitForDelivery(ws, conversation.id, reply.body.id, ['sent', 'failed'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.match(failed.deliveryError, /^MEDIA_TOO_LARGE: an MMS holds at most 5242880 bytes of files; this message has 6291456/)
  assert.equal(sandbox.calls.length, calls)
})

test('a flood from one number is rate limited and the excess is not stored', async () => {
  const before = await messageCount()
  const statuses: number[] = []
  for (let i = 0; i < 7; i++) statuses.push((await sandbox.webhook(hook, text('+14155550108', `spam ${i}`))).status)
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429])
  assert.equal(await messageCount(), before + 5)
  // Another sender is not affected.
  assert.equal((await sandbox.webhook(hook, text('+14155550109', 'normal'))).status, 200)
})

test('a payload of the wrong shape is 400; an unknown inbox is 404; another workspace cannot read the health', async () => {
  const bad = await sandbox.webhook(hook, { AccountSid: sandbox.accountSid, Body: 'no sender' })
  assert.equal(bad.status, 400)
  const unknown = await sandbox.webhook(`${PUBLIC}/webhooks/twilio/00000000-0000-4000-8000-000000000000`, text('+14155550110', 'hi'))
  assert.equal(unknown.status, 404)
  const other = await t.workspace('Other')
  assert.equal((await other.get(`/api/v1/inboxes/${inboxId}/health`)).status, 404)
})

test('an inbox whose sends keep failing temporarily is down, with the last error; the others are not', async () => {
  const second = await ws.post('/api/v1/inboxes', {
    name: 'SMS backup',
    channel: 'sms',
    config: { provider: 'twilio', phoneNumber: '+12065550151', accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBaseUrl: sandbox.url },
  })
  assert.equal(second.status, 201, JSON.stringify(second.body))
  const fresh = (await ws.get(`/api/v1/inboxes/${second.body.id}/health`)).body
  assert.deepEqual([fresh.state, fresh.reasons], ['healthy', ['no sends or webhooks so far']])
  await sandbox.webhook(`${PUBLIC}/webhooks/twilio/${second.body.id}`, inboundSmsParams(sandbox, { from: '+14155550120', to: '+12065550151', body: 'Anyone?' }))
  const { conversation } = await caseOf('+14155550120')
  sandbox.failNext({ status: 502 }, 3)
  const reply = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'Yes, here' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  let health: Json = null
  for (let i = 0; i < 300 && health?.state !== 'down'; i++) {
    await sleep(100)
    health = (await ws.get(`/api/v1/inboxes/${second.body.id}/health`)).body
  }
  assert.equal(health.state, 'down', JSON.stringify(health))
  assert.equal(health.lastError.code, 'PROVIDER_UNAVAILABLE')
  assert.match(health.reasons[0], /the last 3 sends failed temporarily/)
  // The first inbox is not affected by the second one's trouble.
  assert.notEqual((await ws.get(`/api/v1/inboxes/${inboxId}/health`)).body.state, 'down')
})
