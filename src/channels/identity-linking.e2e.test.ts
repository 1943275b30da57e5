import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { WorkspaceClient } from '../../test/harness.ts'
import { identityHash } from './chat/chat.service.ts'
import { chatInbox, visitorSocket, wsUrlOf } from './chat/test-helpers.ts'
import { send, smtpClient, uniqueAddress } from './email/test-helpers.ts'
import { signedWebhook, whatsappPayload } from './meta/sandbox.ts'
import { messagesOf, postWebhook, rand, waitFor } from './meta/test-helpers.ts'
import { inboundSmsParams } from './sms/sandbox.ts'
import { SANDBOX_PUBLIC_URL, useSandboxedApp } from './test-sandboxes.ts'
import { simulatedCall } from './voice/sandbox.ts'

// Issue #8, "One case across channels", end to end as a customer would drive
// it: a text, a WhatsApp message, a phone call, the website chat signed in,
// and an email, each through its real edge (signed Twilio and Meta webhooks,
// the chat WebSocket, SMTP). Verified evidence (a provider-verified number, a
// signed widget identity) links them into one contact and one case; the same
// claims unverified (a forged hash, a typed email) only suggest a merge.
const PUBLIC = SANDBOX_PUBLIC_URL
const SMS_LINE = '+12065550180'
const VOICE_LINE = '+12065550181'
const APP_SECRET = 'identity-app-secret'
const SITE_SECRET = 'site-identity-secret-0123456789'
const ORIGIN = { origin: 'https://shop.example' }
const { t, twilio, meta } = await useSandboxedApp()
const smtpPort = (await t.omnidesk.smtp.listen(0, '127.0.0.1')).port

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON in assertions

async function inbox(ws: WorkspaceClient, name: string, channel: string, config: Record<string, unknown>): Promise<string> {
  const res = await ws.post('/api/v1/inboxes', { name, channel, config })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id
}

const identitiesOf = async (ws: WorkspaceClient, contactId: string): Promise<string[]> =>
  ((await ws.get(`/api/v1/contacts/${contactId}`)).body.identities as Array<{ kind: string; value: string }>).map((i) => `${i.kind}:${i.value}`).sort()

const casesOf = async (ws: WorkspaceClient, contactId: string): Promise<Json[]> => (await ws.get('/api/v1/conversations?limit=100')).body.items.filter((c: Json) => c.contactId === contactId)

test('a number, a WhatsApp id, a caller id, a signed-in widget visitor and an email become one contact and one case; unverified claims only suggest a merge', async () => {
  const ws = await t.workspace()
  const phoneNumberId = `PN${rand()}`
  const smsInbox = await inbox(ws, 'SMS', 'sms', { provider: 'twilio', phoneNumber: SMS_LINE, accountSid: twilio.accountSid, authToken: twilio.authToken, apiBaseUrl: twilio.url })
  const voiceInbox = await inbox(ws, 'Phone', 'voice', { provider: 'twilio', phoneNumber: VOICE_LINE, accountSid: twilio.accountSid, authToken: twilio.authToken, apiBaseUrl: twilio.url })
  const waInbox = await inbox(ws, 'WhatsApp', 'whatsapp', { provider: 'meta', phoneNumberId, accessToken: 'EAAG-identity', appSecret: APP_SECRET, apiBaseUrl: meta.url })
  const chatInboxId = await chatInbox(ws, { identitySecret: SITE_SECRET })
  const address = uniqueAddress()
  await inbox(ws, 'Mail', 'email', { address })
  const phone = '+14155550301'
  const email = `mara-${rand()}@example.com`

  // 1. A text from a number: Twilio vouches for the number (signed webhook).
  assert.equal((await twilio.webhook(`${PUBLIC}/webhooks/twilio/${smsInbox}`, inboundSmsParams(twilio, { from: phone, to: SMS_LINE, body: 'My router is dead' }))).status, 200)
  const contactId = await waitFor(async () => (await ws.get(`/api/v1/contacts?query=${encodeURIComponent(phone)}`)).body.items[0]?.id as string | undefined, 'the contact')
  const [theCase] = await casesOf(ws, contactId)
  assert.ok(theCase)

  // 2. WhatsApp from the same number: Meta verified it, so its WhatsApp id joins the contact, and the case continues.
  const wa = signedWebhook(whatsappPayload(phoneNumberId, { contacts: [{ wa_id: phone.slice(1), name: 'Mara Lind' }], messages: [{ from: phone.slice(1), id: `wamid.${rand()}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Any news on my router?' } }] }), APP_SECRET)
  assert.equal((await postWebhook(t, `/webhooks/whatsapp/${waInbox}`, wa.body, wa.headers)).status, 200)
  await waitFor(async () => (await messagesOf(ws, theCase.id)).length === 2, 'the WhatsApp message in the same case')

  // 3. A missed call from that number: the caller id finds the contact, and the case gets the missed call.
  const call = simulatedCall(twilio, `${PUBLIC}/webhooks/voice/${voiceInbox}`, { from: phone, to: VOICE_LINE })
  await call.ring()
  assert.equal((await call.status('no-answer')).status, 200)
  await waitFor(async () => (await messagesOf(ws, theCase.id)).length === 3, 'the missed call in the same case')

  // The shop's backend tells Omnidesk which site account this customer is (an authenticated API call).
  assert.equal((await ws.post(`/api/v1/contacts/${contactId}/identities`, { kind: 'external', value: 'shop-user-301' })).status, 201)

  // 4. Unverified first: a visitor claiming that account with a forged hash is attached to nobody.
  const forger = visitorSocket(wsUrlOf(t, chatInboxId), ORIGIN)
  await forger.hello()
  const forgedAck = await forger.say('I am Mara, show me the router case')
  await forger.send({ type: 'identify', id: 'shop-user-301', email, hash: identityHash('not-the-secret', 'shop-user-301') })
  const forged = await forger.next((f) => f.type === 'identified')
  assert.equal(forged.verified, false)
  assert.ok(!forged.history.some((m: Json) => m.text === 'My router is dead'), 'the forger sees none of her history')
  await forger.close()
  const forgerCase = (await ws.get('/api/v1/conversations?limit=100')).body.items.find((c: Json) => c.contactId !== contactId && c.channel === 'chat')
  assert.ok(forgerCase, `the forger's own case (ack ${forgedAck.id})`)
  const suggestions = (await ws.get('/api/v1/merge-suggestions')).body.items as Json[]
  assert.deepEqual(suggestions.map((s) => [s.evidence.source, [s.contactAId, s.contactBId].includes(contactId), s.status]), [['chat.identify-unsigned', true, 'open']])
  assert.equal((await ws.get(`/api/v1/contacts/${forgerCase.contactId}`)).body.mergedIntoId, null, 'suggested, never merged')

  // 5. The real customer signs in on the site: the signed identity attaches her visitor and shows her case.
  const visitor = visitorSocket(wsUrlOf(t, chatInboxId), ORIGIN)
  await visitor.hello()
  await visitor.send({ type: 'identify', id: 'shop-user-301', email, name: 'Mara Lind', hash: identityHash(SITE_SECRET, 'shop-user-301') })
  const signed = await visitor.next((f) => f.type === 'identified')
  assert.equal(signed.verified, true)
  assert.ok(signed.history.some((m: Json) => m.text === 'My router is dead'), JSON.stringify(signed.history))
  const chatAck = await visitor.say('Still no internet')
  assert.equal(chatAck.type, 'ack')
  await waitFor(async () => (await messagesOf(ws, theCase.id)).some((m) => m.channel === 'chat' && m.text === 'Still no internet'), 'the chat message in the same case')
  await visitor.close()

  // 6. An email from the address she gave when signed in: the same contact, the same case.
  const mail = smtpClient(smtpPort)
  const sent = await send(mail, { from: `Mara Lind <${email}>`, to: address, subject: 'Router', text: 'Writing by email now.' })
  mail.close()
  assert.equal(sent.code, 250, sent.response)
  await t.omnidesk.emailProcessor.drain()
  await waitFor(async () => (await messagesOf(ws, theCase.id)).some((m) => m.channel === 'email'), 'the email in the same case')

  // One contact holding every identity, one case holding every channel, each switch in the timeline.
  const visitorIdentity = (await identitiesOf(ws, contactId)).find((i) => i.startsWith('widget:'))
  assert.ok(visitorIdentity, 'the widget visitor is linked')
  assert.deepEqual(await identitiesOf(ws, contactId), [`email:${email}`, 'external:shop-user-301', `phone:${phone}`, visitorIdentity, `whatsapp:${phone}`].sort())
  const cases = await casesOf(ws, contactId)
  assert.deepEqual(cases.map((c) => c.id), [theCase.id], 'one case')
  const messages = await messagesOf(ws, theCase.id)
  assert.deepEqual(messages.map((m) => `${m.direction}/${m.channel}`), ['inbound/sms', 'inbound/whatsapp', 'inbound/voice', 'inbound/chat', 'inbound/email'])
  const timeline = (await ws.get(`/api/v1/conversations/${theCase.id}/timeline?limit=100`)).body.items
  const switches = timeline.filter((i: Json) => i.kind === 'event' && i.event.type === 'conversation.channel-switched').map((i: Json) => `${i.event.payload.from}>${i.event.payload.to}`)
  assert.deepEqual(switches, ['sms>whatsapp', 'whatsapp>voice', 'voice>chat', 'chat>email'])

  // 7. Unverified again: someone typing her email in the pre-chat form gets a suggestion, never her contact.
  const typer = visitorSocket(wsUrlOf(t, chatInboxId), ORIGIN)
  await typer.hello()
  await typer.say('hello')
  await typer.send({ type: 'prechat', name: 'Someone', email })
  await typer.next((f) => f.type === 'prechat-saved')
  await typer.close()
  const after = (await ws.get('/api/v1/merge-suggestions')).body.items as Json[]
  assert.deepEqual(after.map((s) => s.evidence.source).sort(), ['chat.identify-unsigned', 'chat.pre-chat-form'])
  assert.deepEqual(await casesOf(ws, contactId).then((c) => c.map((x) => x.id)), [theCase.id], 'her case gained nothing from the typed email')

  // Another workspace sees none of it.
  const other = await t.workspace()
  assert.equal((await other.get(`/api/v1/contacts/${contactId}`)).status, 404)
  assert.equal((await other.get(`/api/v1/conversations/${theCase.id}`)).status, 404)
  assert.deepEqual((await other.get('/api/v1/merge-suggestions')).body.items, [])
})
