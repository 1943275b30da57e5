import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestApp, type TestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { startTwilioSandbox, type TwilioSandbox } from '../sms/sandbox.ts'
import { simulatedCall } from './sandbox.ts'

// Voice end to end through the sandbox Twilio: signed call webhooks to the app
// listening behind PUBLIC_URL, recordings fetched from the sandbox, callback
// requests from the phone menu and the API with their durable reminder.
const PUBLIC = 'https://desk.example.test'
const LINE = '+12065550160'
let t: TestApp
let sandbox: TwilioSandbox
let ws: WorkspaceClient
let inboxId: string
let hook: string

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON in assertions

before(async () => {
  sandbox = await startTwilioSandbox()
  t = await startTestApp({ PUBLIC_URL: PUBLIC }, { start: true })
  sandbox.route(PUBLIC, await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' }))
  ws = await t.workspace('Voice')
  const inbox = await ws.post('/api/v1/inboxes', {
    name: 'Phone',
    channel: 'voice',
    config: { provider: 'twilio', phoneNumber: LINE, accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBaseUrl: sandbox.url, greeting: 'Welcome to Acme & Co.' },
  })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  inboxId = inbox.body.id
  hook = `${PUBLIC}/webhooks/voice/${inboxId}`
})
after(async () => {
  await t?.close()
  await sandbox?.close()
})

async function caseOf(contactId: string): Promise<{ conversation: Json; messages: Json[] }> {
  const list = await ws.get('/api/v1/conversations?limit=100')
  const matching = list.body.items.filter((c: Json) => c.contactId === contactId)
  assert.equal(matching.length, 1, `one case for the contact: ${JSON.stringify(matching)}`)
  const conversation = matching[0]
  const messages = (await ws.get(`/api/v1/conversations/${conversation.id}/messages?limit=100`)).body.items
  return { conversation, messages }
}

async function contactFor(phone: string, name: string): Promise<string> {
  const res = await ws.post('/api/v1/contacts', { name, identities: [{ kind: 'phone', value: phone }] })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id
}

test('an incoming call is answered with the phone menu; a missed call opens a case for the caller found by number', async () => {
  const contactId = await contactFor('+14155550201', 'Grace')
  const call = simulatedCall(sandbox, hook, { from: '+14155550201', to: LINE })
  const ring = await call.ring()
  assert.equal(ring.status, 200, ring.body)
  assert.match(ring.headers['content-type'] ?? '', /text\/xml/)
  assert.match(ring.body, /<Gather numDigits="1"[^>]*action="https:\/\/desk\.example\.test\/webhooks\/voice\/[^"]+\?step=menu"/)
  assert.match(ring.body, /Welcome to Acme &amp; Co\. To have us call you back, press 1\./)
  assert.match(ring.body, /<Record [^>]*transcribe="true"/)
  assert.equal((await call.status('no-answer')).status, 200)
  assert.equal((await call.status('no-answer')).status, 200, 'a repeated status is absorbed')
  const { conversation, messages } = await caseOf(contactId)
  assert.equal(conversation.channel, 'voice')
  assert.deepEqual(messages.map((m: Json) => m.text), ['Missed call from +14155550201 (no-answer)'])
  assert.equal(messages[0].providerMessageId, call.callSid)
})

test('a voicemail is filed with its recording, then its transcript, in one case; the call ending adds no missed call', async () => {
  const contactId = await contactFor('+14155550202', 'Alan')
  const call = simulatedCall(sandbox, hook, { from: '+14155550202', to: LINE })
  await call.ring()
  await call.status('in-progress')
  const audio = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4000, 3)])
  const { res, recordingSid } = await call.voicemail(audio, 42)
  assert.equal(res.status, 200, res.body)
  assert.match(res.body, /<Hangup\/>/)
  await call.transcript(recordingSid, 'Hi, my router keeps rebooting.')
  await call.status('completed', { CallDuration: '55' })
  const { conversation, messages } = await caseOf(contactId)
  assert.deepEqual(messages.map((m: Json) => m.text), ['Voicemail from +14155550202 (42 s)', 'Voicemail transcript: Hi, my router keeps rebooting.'])
  const att = messages[0].attachments[0]
  assert.equal(att.contentType, 'audio/x-wav')
  const file = await ws.get(`/api/v1/conversations/${conversation.id}/messages/${messages[0].id}/attachments/${att.id}`)
  assert.deepEqual(file.raw.rawPayload, audio)
})

test('an answered call is filed with its duration when it ends', async () => {
  const contactId = await contactFor('+14155550203', 'Ada')
  const call = simulatedCall(sandbox, hook, { from: '+14155550203', to: LINE })
  await call.ring()
  const dialed = await call.dialed('completed', 65)
  assert.match(dialed.body, /<Hangup\/>/)
  await call.status('completed', { CallDuration: '80' })
  const { messages } = await caseOf(contactId)
  assert.deepEqual(messages.map((m: Json) => m.text), ['Answered call from +14155550203 (1 min 5 s)'])
})

test('pressing 1 in the menu requests a callback: a task with a due time in the caller’s open case', async () => {
  const contactId = await contactFor('+14155550204', 'Linus')
  const earlier = await ws.post('/api/v1/conversations', { inboxId, contact: { phone: '+14155550204' }, message: { text: 'Earlier call notes' } })
  assert.equal(earlier.status, 201)
  const call = simulatedCall(sandbox, hook, { from: '+14155550204', to: LINE })
  await call.ring()
  const pressed = await call.press('1')
  assert.match(pressed.body, /We will call you back/)
  await call.press('1') // a repeat creates no second task
  await call.status('completed')
  const { conversation, messages } = await caseOf(contactId)
  assert.equal(conversation.id, earlier.body.id, 'joined the open case through this line')
  assert.deepEqual(messages.map((m: Json) => m.text).slice(1), ['Callback requested by +14155550204 through the phone menu', 'Missed call from +14155550204 (the caller hung up before anyone answered)'])
  const tasks = (await ws.get(`/api/v1/conversations/${conversation.id}/callback-requests`)).body.items
  assert.equal(tasks.length, 1)
  assert.deepEqual([tasks[0].source, tasks[0].phone, tasks[0].status], ['ivr', '+14155550204', 'open'])
  assert.ok(new Date(tasks[0].dueAt).getTime() > Date.now())
})

test('callback requests through the API: in a case, and for a phone number; the reminder fires when due', async () => {
  const created = await ws.post('/api/v1/callback-requests', { phone: '+14155550205', name: 'Barbara', note: 'After 5pm', dueAt: new Date(Date.now() + 1000).toISOString() })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal(created.body.phone, '+14155550205')
  const conversationId = created.body.conversationId
  const inCase = await ws.post(`/api/v1/conversations/${conversationId}/callback-requests`, { note: 'Second try' })
  assert.equal(inCase.status, 201, JSON.stringify(inCase.body))
  assert.equal(inCase.body.phone, '+14155550205', "the contact's number by default")
  let due: Json | undefined
  for (let i = 0; i < 200 && !due; i++) {
    const timeline = (await ws.get(`/api/v1/conversations/${conversationId}/timeline?limit=100`)).body.items
    due = timeline.find((x: Json) => x.kind === 'event' && x.event.type === 'callback.due')
    if (!due) await sleep(100)
  }
  assert.ok(due, 'callback.due in the timeline')
  assert.equal(due.event.payload.taskId, created.body.id)
  const requested = (await ws.get(`/api/v1/conversations/${conversationId}/timeline?limit=100`)).body.items.filter((x: Json) => x.kind === 'event' && x.event.type === 'callback.requested')
  assert.deepEqual(requested.map((x: Json) => x.event.payload.note), ['After 5pm', 'Second try'])
  const done = await ws.patch(`/api/v1/callback-requests/${created.body.id}`, { status: 'done' })
  assert.equal(done.status, 200)
  assert.equal(done.body.status, 'done')
  const noPhone = await ws.post('/api/v1/conversations', { contact: { email: 'nophone@example.com' }, message: { text: 'hi' } })
  const refused = await ws.post(`/api/v1/conversations/${noPhone.body.id}/callback-requests`, {})
  assert.equal(refused.status, 400)
  const other = await t.workspace('Other')
  assert.equal((await other.get(`/api/v1/conversations/${conversationId}/callback-requests`)).status, 404)
  assert.equal((await other.post(`/api/v1/conversations/${conversationId}/callback-requests`, { phone: '+14155550299' })).status, 404)
  assert.equal((await other.patch(`/api/v1/callback-requests/${created.body.id}`, { status: 'canceled' })).status, 404)
})

test('a forged call webhook is 401 and records nothing', async () => {
  const call = simulatedCall(sandbox, hook, { from: '+14155550206', to: LINE })
  const res = await sandbox.webhook(hook, { CallSid: call.callSid, AccountSid: sandbox.accountSid, From: '+14155550206', To: LINE, CallStatus: 'no-answer' }, { authToken: 'wrong' })
  assert.equal(res.status, 401)
  const calls = await t.database.db.selectFrom('voice_calls').select('id').where('call_sid', '=', call.callSid).execute()
  assert.equal(calls.length, 0)
})
