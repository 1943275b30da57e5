import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { WorkspaceClient } from '../../test/harness.ts'
import { waitForDelivery } from '../modules/conversations/test-helpers.ts'
import { signedWebhook, whatsappPayload } from './meta/sandbox.ts'
import { messagesOf, postWebhook, rand, waitFor } from './meta/test-helpers.ts'
import { inboundSmsParams } from './sms/sandbox.ts'
import { SANDBOX_PUBLIC_URL, useSandboxedApp } from './test-sandboxes.ts'

// Reply fallback (docs/channels/README.md, "Fallback"), end to end through the
// WhatsApp and Twilio sandboxes: a reply on the conversation's channel that
// cannot go (WhatsApp's window closed, or the inbox down with its breaker
// open) leaves on the contact's next consented channel of the workspace's
// fallback order, and the timeline says why; never to a channel the contact
// has not consented to or opted out of.
const PUBLIC = SANDBOX_PUBLIC_URL
const LINE = '+12065550170'
const APP_SECRET = 'fallback-app-secret'
const { t, twilio, meta } = await useSandboxedApp({ OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '2', OUTBOUND_BREAKER_FAILURES: '2', OUTBOUND_BREAKER_COOLDOWN_SECONDS: '600' })
meta.expectToken = 'EAAG-fallback'

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON in assertions
const twoDaysAgo = () => String(Math.floor(Date.now() / 1000) - 2 * 24 * 3600)

/** A workspace with a WhatsApp and an SMS inbox, both on the sandboxes. */
async function setup() {
  const ws = await t.workspace()
  const phoneNumberId = `PN${rand()}`
  const wa = await ws.post('/api/v1/inboxes', { name: 'WhatsApp', channel: 'whatsapp', config: { provider: 'meta', phoneNumberId, accessToken: 'EAAG-fallback', appSecret: APP_SECRET, apiBaseUrl: meta.url } })
  assert.equal(wa.status, 201, JSON.stringify(wa.body))
  const sms = await ws.post('/api/v1/inboxes', { name: 'SMS', channel: 'sms', config: { provider: 'twilio', phoneNumber: LINE, accountSid: twilio.accountSid, authToken: twilio.authToken, apiBaseUrl: twilio.url } })
  assert.equal(sms.status, 201, JSON.stringify(sms.body))
  const whatsapp = async (phone: string, text: string, timestamp = String(Math.floor(Date.now() / 1000))) => {
    const { body, headers } = signedWebhook(whatsappPayload(phoneNumberId, { messages: [{ from: phone.slice(1), id: `wamid.${rand()}${rand()}`, timestamp, type: 'text', text: { body: text } }] }), APP_SECRET)
    assert.equal((await postWebhook(t, `/webhooks/whatsapp/${wa.body.id}`, body, headers)).status, 200)
  }
  const text = async (phone: string, body: string) => {
    const res = await twilio.webhook(`${PUBLIC}/webhooks/twilio/${sms.body.id}`, inboundSmsParams(twilio, { from: phone, to: LINE, body }))
    assert.equal(res.status, 200, res.body)
  }
  return { ws, whatsappInboxId: wa.body.id as string, smsInboxId: sms.body.id as string, phoneNumberId, whatsapp, text }
}

/** The contact's only case, once it holds `count` messages and is on `channel`. */
async function caseOf(ws: WorkspaceClient, phone: string, count: number, channel: string): Promise<string> {
  return waitFor(async () => {
    const contact = (await ws.get(`/api/v1/contacts?query=${encodeURIComponent(phone)}`)).body.items[0]
    const conv = contact && (await ws.get('/api/v1/conversations?limit=100')).body.items.find((c: Json) => c.contactId === contact.id)
    return conv && conv.channel === channel && (await messagesOf(ws, conv.id)).length >= count ? (conv.id as string) : null
  }, `${phone}'s case with ${count} messages on ${channel}`)
}

const timelineEvents = async (ws: WorkspaceClient, id: string, type: string): Promise<Json[]> =>
  (await ws.get(`/api/v1/conversations/${id}/timeline?limit=100`)).body.items.filter((i: Json) => i.kind === 'event' && i.event.type === type).map((i: Json) => i.event.payload)

test("WhatsApp's window closed: refused without a fallback order; with one, the reply goes by SMS and the timeline says why", async () => {
  const s = await setup()
  const phone = '+14155550201'
  await s.text(phone, 'Texting you first')
  await caseOf(s.ws, phone, 1, 'sms')
  await s.whatsapp(phone, 'Then on WhatsApp, two days ago', twoDaysAgo())
  const id = await caseOf(s.ws, phone, 2, 'whatsapp')

  const refused = await s.ws.post(`/api/v1/conversations/${id}/messages`, { text: 'Sorry for the wait' })
  assert.equal(refused.status, 422, JSON.stringify(refused.body))
  assert.equal(refused.body.error.code, 'WHATSAPP_WINDOW_CLOSED')
  assert.equal(refused.body.error.details.fallback, undefined, 'no fallback order: no fallback')

  const bad = await s.ws.patch('/api/v1/workspace', { fallbackOrder: ['sms', 'sms'] })
  assert.equal(bad.status, 400)
  assert.equal((await s.ws.patch('/api/v1/workspace', { fallbackOrder: ['whatsapp', 'fax'] })).status, 400)
  const set = await s.ws.patch('/api/v1/workspace', { fallbackOrder: ['whatsapp', 'sms', 'email'] })
  assert.equal(set.status, 200, JSON.stringify(set.body))
  assert.deepEqual(set.body.fallbackOrder, ['whatsapp', 'sms', 'email'])
  assert.equal(set.body.continuity.mode, 'any_channel', 'other settings are kept')

  // What the agent (and an admin) sees before replying: WhatsApp takes no free text now.
  const channels = (await s.ws.get(`/api/v1/conversations/${id}/reply-channels`)).body.items
  const wa = channels.find((c: Json) => c.channel === 'whatsapp')
  assert.equal(wa.blocked.code, 'WHATSAPP_WINDOW_CLOSED')
  assert.equal(channels.find((c: Json) => c.channel === 'sms').blocked, null)

  const reply = await s.ws.post(`/api/v1/conversations/${id}/messages`, { text: 'Sorry for the wait' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.channel, 'sms')
  assert.deepEqual([reply.body.metadata.fallback.from.channel, reply.body.metadata.fallback.to.channel, reply.body.metadata.fallback.code], ['whatsapp', 'sms', 'WHATSAPP_WINDOW_CLOSED'])
  const sent = await waitForDelivery(s.ws, id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  const sms = twilio.sent.find((m) => m.sid === sent.providerMessageId)
  assert.deepEqual([sms?.to, sms?.body], [phone, 'Sorry for the wait'])

  const [rerouted] = await timelineEvents(s.ws, id, 'message.rerouted')
  assert.deepEqual([rerouted.messageId, rerouted.from.inboxId, rerouted.to.inboxId, rerouted.code], [reply.body.id, s.whatsappInboxId, s.smsInboxId, 'WHATSAPP_WINDOW_CLOSED'])
  assert.match(rerouted.reason, /24-hour customer-service window closed/)
  const switches = await timelineEvents(s.ws, id, 'conversation.channel-switched')
  assert.deepEqual(switches.at(-1), { from: 'whatsapp', to: 'sms', inboxId: s.smsInboxId, by: 'fallback' })

  // The agent who picks WhatsApp gets WhatsApp's answer, not a fallback.
  const picked = await s.ws.post(`/api/v1/conversations/${id}/messages`, { text: 'On WhatsApp please', channel: 'whatsapp' })
  assert.equal(picked.status, 422)
  assert.equal(picked.body.error.code, 'WHATSAPP_WINDOW_CLOSED')

  // Another workspace: its own (empty) order, and nothing of this one's case.
  const other = await t.workspace()
  assert.deepEqual((await other.get('/api/v1/workspace')).body.fallbackOrder, [])
  assert.equal((await other.get(`/api/v1/conversations/${id}/timeline`)).status, 404)
  assert.equal((await other.get(`/api/v1/conversations/${id}/reply-channels`)).status, 404)
})

test('never to a channel the contact has not consented to, or opted out of (SMS STOP): the refusal says why', async () => {
  const s = await setup()
  assert.equal((await s.ws.patch('/api/v1/workspace', { fallbackOrder: ['whatsapp', 'sms'] })).status, 200)
  const sent = twilio.sent.length

  // Known on WhatsApp only: their number is known, but they never texted us nor agreed to texts.
  const quiet = '+14155550202'
  await s.whatsapp(quiet, 'Hello from WhatsApp only', twoDaysAgo())
  const quietCase = await caseOf(s.ws, quiet, 1, 'whatsapp')
  const notConsented = await s.ws.post(`/api/v1/conversations/${quietCase}/messages`, { text: 'Hello?' })
  assert.equal(notConsented.status, 422, JSON.stringify(notConsented.body))
  assert.equal(notConsented.body.error.code, 'WHATSAPP_WINDOW_CLOSED')
  assert.deepEqual(notConsented.body.error.details.fallback.skipped.map((x: Json) => x.channel), ['sms'])
  assert.match(notConsented.body.error.message, /No fallback channel can take the reply \(sms: the contact has not consented to sms messages/)

  // Texted us, then STOP: SMS is out of the question.
  const stopped = '+14155550203'
  await s.text(stopped, 'Hi')
  await s.text(stopped, 'STOP')
  await s.whatsapp(stopped, 'Now on WhatsApp', twoDaysAgo())
  const stoppedCase = await caseOf(s.ws, stopped, 2, 'whatsapp')
  const optedOut = await s.ws.post(`/api/v1/conversations/${stoppedCase}/messages`, { text: 'Hello?' })
  assert.equal(optedOut.status, 422, JSON.stringify(optedOut.body))
  assert.match(optedOut.body.error.message, /sms: the contact withdrew consent to sms messages \(replied STOP\)/)
  assert.equal(twilio.sent.length, sent, 'nothing was texted')
  assert.equal((await messagesOf(s.ws, stoppedCase)).filter((m) => m.direction === 'outbound').length, 0, 'nothing was stored')
})

test('an inbox that is down (breaker open) falls back to the next channel; a reply on a channel the agent picked waits for it', async () => {
  const s = await setup()
  assert.equal((await s.ws.patch('/api/v1/workspace', { fallbackOrder: ['sms', 'whatsapp'] })).status, 200)
  const phone = '+14155550204'
  await s.whatsapp(phone, 'WhatsApp, just now')
  await caseOf(s.ws, phone, 1, 'whatsapp')
  await s.text(phone, 'And a text')
  const id = await caseOf(s.ws, phone, 2, 'sms')

  // Two temporary failures in a row open the SMS inbox's breaker (OUTBOUND_BREAKER_FAILURES=2).
  twilio.failNext({ status: 503 }, 2)
  const first = await s.ws.post(`/api/v1/conversations/${id}/messages`, { text: 'Checking' })
  assert.equal(first.status, 201)
  assert.equal(first.body.channel, 'sms')
  const down = await waitFor(async () => {
    const sms = (await s.ws.get(`/api/v1/conversations/${id}/reply-channels`)).body.items.find((c: Json) => c.channel === 'sms')
    return sms.blocked?.code === 'CHANNEL_DOWN' && sms.blocked
  }, 'the SMS inbox to be down')
  assert.match(down.message, /circuit breaker is open/)
  // Health is recorded from the delivery events, a moment after the breaker (in memory) opens.
  await waitFor(async () => (await s.ws.get(`/api/v1/inboxes/${s.smsInboxId}/health`)).body.state === 'down', 'the SMS inbox health to read down')

  const reply = await s.ws.post(`/api/v1/conversations/${id}/messages`, { text: 'Trying WhatsApp instead' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.channel, 'whatsapp')
  assert.equal(reply.body.metadata.fallback.code, 'CHANNEL_DOWN')
  const sent = await waitForDelivery(s.ws, id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  assert.deepEqual(meta.callsTo(`/${s.phoneNumberId}/messages`).at(-1)?.body.text, { body: 'Trying WhatsApp instead', preview_url: false })
  const [rerouted] = await timelineEvents(s.ws, id, 'message.rerouted')
  assert.deepEqual([rerouted.from.channel, rerouted.to.channel, rerouted.code], ['sms', 'whatsapp', 'CHANNEL_DOWN'])

  // Picked by the agent: it stays on SMS, queued behind the breaker.
  const picked = await s.ws.post(`/api/v1/conversations/${id}/messages`, { text: 'By text please', channel: 'sms' })
  assert.equal(picked.status, 201)
  assert.equal(picked.body.channel, 'sms')
  assert.equal(picked.body.metadata.fallback, undefined)
})
