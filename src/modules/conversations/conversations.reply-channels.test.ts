import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { uniqueAddress } from '../../channels/email/test-helpers.ts'
import { startRelay } from '../../channels/email/test-relay.ts'
import { waitForDelivery } from './test-helpers.ts'

/*
 * Agents reply on any channel the contact has: a case that came in through the
 * API is answered by email through the email inbox's adapter (a real SMTP relay
 * here), and GET …/reply-channels says which channels can be used and why not.
 */

const t = await useTestApp({ OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '2' }, { start: true })
const relay = await startRelay()

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON

async function setup() {
  const ws = await t.workspace()
  const api = (await ws.post('/api/v1/inboxes', { name: 'Integration', channel: 'api', config: {} })).body.id as string
  const address = uniqueAddress()
  const email = await ws.post('/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address, smtp: { host: '127.0.0.1', port: relay.port, secure: false } } })
  assert.equal(email.status, 201, JSON.stringify(email.body))
  return { ws, api, emailInbox: email.body.id as string, address }
}

async function apiCase(ws: WorkspaceClient, api: string, contact: Record<string, string>): Promise<string> {
  const res = await ws.post(`/api/v1/inboxes/${api}/messages`, { contact, text: 'Hello from the app' })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.conversation.id
}

const byChannel = (items: Json[]) => Object.fromEntries(items.map((i) => [i.channel, i]))

test('reply-channels lists every channel with the inbox and identity a reply would use, or why not', async () => {
  const { ws, api, emailInbox } = await setup()
  const customer = `rc-${Math.random().toString(36).slice(2)}@example.org`
  const id = await apiCase(ws, api, { email: customer, phone: '+14155550123' })
  const res = await ws.get(`/api/v1/conversations/${id}/reply-channels`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const c = byChannel(res.body.items)
  assert.deepEqual(Object.keys(c).sort(), ['api', 'chat', 'email', 'instagram', 'messenger', 'sms', 'telegram', 'voice', 'whatsapp'])
  assert.deepEqual(c.api, { channel: 'api', available: true, current: true, inbox: { id: api, name: 'Integration' }, identity: null, reason: null, blocked: null })
  assert.deepEqual(c.email, { channel: 'email', available: true, current: false, inbox: { id: emailInbox, name: 'Support' }, identity: { kind: 'email', value: customer }, reason: null, blocked: null })
  assert.equal(c.sms.available, false)
  assert.match(c.sms.reason, /no active sms inbox/)

  // A contact without an email address cannot be answered by email.
  const phoneOnly = await apiCase(ws, api, { phone: '+14155550999' })
  const e = byChannel((await ws.get(`/api/v1/conversations/${phoneOnly}/reply-channels`)).body.items).email
  assert.equal(e.available, false)
  assert.match(e.reason, /no email identity/)

  // Another workspace sees nothing.
  const other = await t.workspace()
  assert.equal((await other.get(`/api/v1/conversations/${id}/reply-channels`)).status, 404)
})

test('a reply with channel email on an API case goes out through the email adapter, and the timeline shows the switch', async () => {
  const { ws, api, emailInbox, address } = await setup()
  const customer = `sw-${Math.random().toString(36).slice(2)}@example.org`
  const id = await apiCase(ws, api, { email: customer })
  const before = relay.received.length
  const reply = await ws.post(`/api/v1/conversations/${id}/messages`, { text: 'We answer by email.', channel: 'email' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.channel, 'email')
  const sent = await waitForDelivery(ws, id, reply.body.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(sent.deliveryStatus, 'sent', JSON.stringify(sent))
  const mail = relay.received.slice(before).find((r) => r.to.includes(customer))
  assert.ok(mail, 'the relay received the reply')
  assert.match(mail.mail.text ?? '', /We answer by email\./)
  assert.equal(mail.mail.from?.value[0]?.address, address)

  const conv = (await ws.get(`/api/v1/conversations/${id}`)).body
  assert.equal(conv.channel, 'email')
  const events = ((await ws.get(`/api/v1/conversations/${id}/timeline?limit=100`)).body.items as Json[]).filter((i) => i.kind === 'event').map((i) => i.event)
  const switched = events.find((e) => e.type === 'conversation.channel-switched')
  assert.deepEqual({ from: switched?.payload.from, to: switched?.payload.to, inboxId: switched?.payload.inboxId, by: switched?.payload.by }, { from: 'api', to: 'email', inboxId: emailInbox, by: 'user' })

  // No active inbox of a channel: a clear refusal, nothing stored.
  const none = await ws.post(`/api/v1/conversations/${id}/messages`, { text: 'by sms?', channel: 'sms' })
  assert.equal(none.status, 422)
  assert.match(none.body.error.message, /no active sms inbox/)
})

test('the reply inbox is the one the contact last wrote to on that channel, else the first active inbox of that channel', async () => {
  const { ws, api } = await setup()
  // A second API inbox the contact wrote to in another case.
  const api2 = (await ws.post('/api/v1/inboxes', { name: 'Integration 2', channel: 'api', config: {} })).body.id as string
  const customer = `li-${Math.random().toString(36).slice(2)}@example.org`
  assert.equal((await ws.patch('/api/v1/workspace', { continuity: { mode: 'off' } })).status, 200)
  const first = await apiCase(ws, api, { email: customer })
  await apiCase(ws, api2, { email: customer })
  // The first case has used `api` itself: its own inbox wins over the contact's later one.
  const c = byChannel((await ws.get(`/api/v1/conversations/${first}/reply-channels`)).body.items)
  assert.equal(c.api.inbox.id, api)
  // Deactivated: the contact's last inbox on that channel is next.
  assert.equal((await ws.patch(`/api/v1/inboxes/${api}`, { active: false })).status, 200)
  const after = byChannel((await ws.get(`/api/v1/conversations/${first}/reply-channels`)).body.items)
  assert.equal(after.api.inbox.id, api2)
  const reply = await ws.post(`/api/v1/conversations/${first}/messages`, { text: 'via the other inbox' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const row = await t.database.db.selectFrom('messages').select('inbox_id').where('id', '=', reply.body.id).executeTakeFirstOrThrow()
  assert.equal(row.inbox_id, api2)
})
