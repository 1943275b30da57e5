import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { startMetaSandbox, signedWebhook, whatsappPayload } from '../meta/sandbox.ts'
import { inboundIdle, inboundJobCount, messagesOf, postWebhook, rand, theConversation, waitFor } from '../meta/test-helpers.ts'

// WhatsApp end to end: signed Cloud API webhooks in, the sandbox Graph API out.
const sandbox = await startMetaSandbox()
sandbox.expectToken = 'EAAG-sandbox-token'
const t = await useTestApp({ OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '3', OUTBOUND_BREAKER_FAILURES: '100' }, { start: true })
after(() => sandbox.close())

const APP_SECRET = 'whatsapp-app-secret'
type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- the sandbox's record of a call
const now = () => String(Math.floor(Date.now() / 1000))

async function whatsappInbox(ws: WorkspaceClient) {
  const phoneNumberId = `PN${rand()}`
  const res = await ws.post('/api/v1/inboxes', {
    name: `WhatsApp ${phoneNumberId}`,
    channel: 'whatsapp',
    config: { provider: 'meta', phoneNumberId, accessToken: 'EAAG-sandbox-token', appSecret: APP_SECRET, verifyToken: 'verify-me-please', apiBaseUrl: sandbox.url },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return { id: res.body.id as string, phoneNumberId }
}

function customerMessage(from: string, text: string, extra: Record<string, unknown> = {}) {
  return { from, id: `wamid.${rand()}${rand()}`, timestamp: now(), type: 'text', text: { body: text }, ...extra }
}

async function deliver(inboxId: string, payload: unknown, secret = APP_SECRET) {
  const { body, headers } = signedWebhook(payload, secret)
  return postWebhook(t, `/webhooks/whatsapp/${inboxId}`, body, headers)
}

test('the GET verification handshake echoes hub.challenge only for the right verify token', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const ok = await t.omnidesk.app.inject({ method: 'GET', url: `/webhooks/whatsapp/${inbox.id}?hub.mode=subscribe&hub.verify_token=verify-me-please&hub.challenge=1158201444` })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.body, '1158201444')
  const bad = await t.omnidesk.app.inject({ method: 'GET', url: `/webhooks/whatsapp/${inbox.id}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1` })
  assert.equal(bad.statusCode, 403)
  assert.notEqual(bad.body, '1')
})

test('a signed message becomes a case; a replay is absorbed; a forged one is 401 and stores nothing', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const msg = customerMessage('14155550100', 'My order has not arrived')
  const payload = whatsappPayload(inbox.phoneNumberId, { contacts: [{ wa_id: '14155550100', name: 'Kerry Fisher' }], messages: [msg] })

  const jobsBefore = await inboundJobCount(t)
  const forged = await deliver(inbox.id, payload, 'not-the-app-secret')
  assert.equal(forged.status, 401, forged.body)
  assert.equal(JSON.parse(forged.body).error.code, 'WEBHOOK_SIGNATURE_INVALID')
  const unsigned = await postWebhook(t, `/webhooks/whatsapp/${inbox.id}`, JSON.stringify(payload), { 'content-type': 'application/json' })
  assert.equal(unsigned.status, 401)
  assert.equal(await inboundJobCount(t), jobsBefore, 'a refused webhook enqueues nothing')

  const first = await deliver(inbox.id, payload)
  assert.equal(first.status, 200, first.body)
  const conversationId = await theConversation(ws)
  // Meta retries deliveries: the same message again, and the same again at once from many clients.
  const replays = await Promise.all(Array.from({ length: 8 }, () => deliver(inbox.id, payload)))
  assert.ok(replays.every((r) => r.status === 200))
  await waitFor(async () => (await inboundJobCount(t)) >= jobsBefore + 1 && true, 'the job')

  const conv = await ws.get(`/api/v1/conversations/${conversationId}`)
  assert.equal(conv.body.channel, 'whatsapp')
  const msgs = await messagesOf(ws, conversationId)
  assert.equal(msgs.length, 1, 'the replays stored nothing more')
  assert.equal(msgs[0]?.text, 'My order has not arrived')
  assert.equal(msgs[0]?.providerMessageId, msg.id)
  const contact = await ws.get(`/api/v1/contacts/${conv.body.contactId}`)
  assert.equal(contact.body.name, 'Kerry Fisher')
  assert.deepEqual(contact.body.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`).sort(), ['phone:+14155550100', 'whatsapp:+14155550100'])

  // The customer's next message joins the same case.
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550100', 'Any news?')] }))
  await waitFor(async () => (await messagesOf(ws, conversationId)).length === 2, 'the second message in the same case')
})

test('a payload of the wrong shape is 400; an unknown inbox is 404; another phone number is ignored', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const wrong = await deliver(inbox.id, { object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { messages: [{ id: 1 }] } }] }] })
  assert.equal(wrong.status, 400, wrong.body)
  const notJson = signedWebhook({}, APP_SECRET)
  const garbage = await postWebhook(t, `/webhooks/whatsapp/${inbox.id}`, 'not json', { ...notJson.headers, 'x-hub-signature-256': (await import('../meta/signature.ts')).signMetaPayload(APP_SECRET, 'not json') })
  assert.equal(garbage.status, 400)
  const unknown = await deliver('00000000-0000-4000-8000-000000000000', whatsappPayload('x', { messages: [customerMessage('14155550100', 'hi')] }))
  assert.equal(unknown.status, 404)
  const other = await deliver(inbox.id, whatsappPayload('ANOTHER-NUMBER', { messages: [customerMessage('14155550100', 'hi')] }))
  assert.equal(other.status, 200)
})

test('an agent reply reaches the Cloud API in its format; statuses move it to delivered and read, in the timeline', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('447700900123', 'Hello?')] }))
  const conversationId = await theConversation(ws)
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Hi! Your parcel left today.' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  assert.match(sent.providerMessageId, /^wamid\./)

  const call = sandbox.callsTo(`/${inbox.phoneNumberId}/messages`).at(-1)
  assert.ok(call)
  assert.equal(call.path, `/v21.0/${inbox.phoneNumberId}/messages`)
  assert.equal(call.headers.authorization, 'Bearer EAAG-sandbox-token')
  assert.deepEqual(call.body, { messaging_product: 'whatsapp', recipient_type: 'individual', to: '447700900123', type: 'text', text: { body: 'Hi! Your parcel left today.', preview_url: false } })

  const statusOf = (status: string, extra = {}) => whatsappPayload(inbox.phoneNumberId, { statuses: [{ id: sent.providerMessageId, status, timestamp: now(), recipient_id: '447700900123', ...extra }] })
  await deliver(inbox.id, statusOf('delivered'))
  await waitFor(async () => (await messagesOf(ws, conversationId)).find((m) => m.id === reply.body.id)?.deliveryStatus === 'delivered', 'delivered')
  await deliver(inbox.id, statusOf('read'))
  await waitFor(async () => (await messagesOf(ws, conversationId)).find((m) => m.id === reply.body.id)?.deliveryStatus === 'read', 'read')
  // A late 'delivered' does not move it back.
  await deliver(inbox.id, statusOf('delivered', { timestamp: String(Number(now()) + 1) }))
  await inboundIdle(t)
  const timeline = await ws.get(`/api/v1/conversations/${conversationId}/timeline?limit=100`)
  assert.equal(timeline.status, 200, JSON.stringify(timeline.body))
  const reported = timeline.body.items
    .filter((i: { kind: string; event?: { type: string } }) => i.kind === 'event' && i.event?.type === 'message.status-reported')
    .map((i: { event: { payload: { status: string; messageId: string } } }) => [i.event.payload.status, i.event.payload.messageId === reply.body.id])
  assert.deepEqual(reported, [['delivered', true], ['read', true]])
  assert.equal((await messagesOf(ws, conversationId)).find((m) => m.id === reply.body.id)?.deliveryStatus, 'read')
})

test('a failed status keeps the provider reason on the message', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550111', 'Hi')] }))
  const conversationId = await theConversation(ws)
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Hello' })
  const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { statuses: [{ id: sent.providerMessageId, status: 'failed', timestamp: now(), errors: [{ code: 131026, title: 'Message undeliverable' }] }] }))
  const failed = await waitForDelivery(ws, conversationId, reply.body.id, ['failed'])
  assert.equal(failed.deliveryError, '131026: Message undeliverable')
})

test('outside the 24-hour window free text is refused at request time (422 WHATSAPP_WINDOW_CLOSED naming the templates); an approved template goes through', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const twoDaysAgo = String(Math.floor(Date.now() / 1000) - 2 * 24 * 3600)
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550122', 'Old question', { timestamp: twoDaysAgo })] }))
  const conversationId = await theConversation(ws)

  const window = await ws.get(`/api/v1/conversations/${conversationId}/whatsapp-window`)
  assert.equal(window.status, 200, JSON.stringify(window.body))
  assert.equal(window.body.open, false)
  assert.equal(window.body.inboxId, inbox.id)

  // Free text is refused when it is asked for: nothing is stored, nothing reaches WhatsApp.
  const calls = sandbox.callsTo(`/${inbox.phoneNumberId}/messages`).length
  const text = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Sorry for the wait' })
  assert.equal(text.status, 422, JSON.stringify(text.body))
  assert.equal(text.body.error.code, 'WHATSAPP_WINDOW_CLOSED')
  assert.match(text.body.error.message, /the 24-hour customer-service window closed at .*this inbox has none approved yet/)
  assert.equal(text.body.error.details.closesAt, window.body.closesAt)
  assert.deepEqual(text.body.error.details.templates, [])
  assert.equal((await messagesOf(ws, conversationId)).length, 1, 'the refused reply was not stored')
  assert.equal(sandbox.callsTo(`/${inbox.phoneNumberId}/messages`).length, calls, 'nothing was sent to WhatsApp')
  // A note is not a message to the customer: the window does not apply.
  assert.equal((await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Window closed; use a template', private: true })).status, 201)

  // Templates: CRUD, then send.
  const base = `/api/v1/inboxes/${inbox.id}/whatsapp-templates`
  const created = await ws.post(base, { name: 'order_update', language: 'en_US', body: 'Hello {{1}}, your order {{2}} has shipped.' })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal(created.body.variableCount, 2)
  assert.equal((await ws.post(base, { name: 'order_update', language: 'en_US', body: 'again' })).status, 409)
  assert.equal((await ws.post(base, { name: 'Bad Name', language: 'en_US', body: 'x' })).status, 400)
  assert.equal((await ws.post(base, { name: 'gaps', language: 'en', body: 'Hi {{2}}' })).status, 400)
  const pending = await ws.post(base, { name: 'promo', language: 'en', body: 'Sale!', status: 'pending' })
  assert.equal((await ws.get(base)).body.items.length, 2)
  // The refusal names the approved templates (not the pending one).
  const named = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Still there?' })
  assert.equal(named.status, 422)
  assert.match(named.body.error.message, /approved templates .*: order_update \(en_US\)\.$/)
  assert.deepEqual(named.body.error.details.templates.map((x: { name: string }) => x.name), ['order_update'])

  const notApproved = await ws.post(`/api/v1/conversations/${conversationId}/whatsapp-template`, { templateId: pending.body.id })
  assert.equal(notApproved.status, 422)
  assert.equal(notApproved.body.error.code, 'WHATSAPP_TEMPLATE_NOT_APPROVED')
  const wrongCount = await ws.post(`/api/v1/conversations/${conversationId}/whatsapp-template`, { templateId: created.body.id, variables: ['Kerry'] })
  assert.equal(wrongCount.status, 400)

  const send = await ws.post(`/api/v1/conversations/${conversationId}/whatsapp-template`, { name: 'order_update', language: 'en_US', variables: ['Kerry', '#1042'] })
  assert.equal(send.status, 201, JSON.stringify(send.body))
  assert.equal(send.body.text, 'Hello Kerry, your order #1042 has shipped.')
  const delivered = await waitForDelivery(ws, conversationId, send.body.messageId, ['sent', 'failed'])
  assert.equal(delivered.deliveryStatus, 'sent', delivered.deliveryError)
  const call = sandbox.callsTo(`/${inbox.phoneNumberId}/messages`).at(-1)
  assert.deepEqual(call?.body, {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '14155550122',
    type: 'template',
    template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Kerry' }, { type: 'text', text: '#1042' }] }] },
  })

  const patched = await ws.patch(`${base}/${pending.body.id}`, { status: 'approved' })
  assert.equal(patched.body.status, 'approved')
  assert.equal((await ws.delete(`${base}/${pending.body.id}`)).status, 204)
  assert.equal((await ws.get(`${base}/${pending.body.id}`)).status, 404)

  // Once the customer writes again, the window is open and free text goes.
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550122', 'Thanks!')] }))
  await waitFor(async () => (await ws.get(`/api/v1/conversations/${conversationId}/whatsapp-window`)).body.open === true, 'the window to open')
  const again = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'You are welcome' })
  assert.equal((await waitForDelivery(ws, conversationId, again.body.id, ['sent', 'failed'])).deliveryStatus, 'sent')
})

test("another workspace cannot see or use this inbox's templates or window", async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const tpl = await ws.post(`/api/v1/inboxes/${inbox.id}/whatsapp-templates`, { name: 'hello', language: 'en', body: 'Hello' })
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550133', 'hi')] }))
  const conversationId = await theConversation(ws)
  assert.equal((await other.get(`/api/v1/inboxes/${inbox.id}/whatsapp-templates`)).status, 404)
  assert.equal((await other.get(`/api/v1/inboxes/${inbox.id}/whatsapp-templates/${tpl.body.id}`)).status, 404)
  assert.equal((await other.post(`/api/v1/inboxes/${inbox.id}/whatsapp-templates`, { name: 'x', language: 'en', body: 'x' })).status, 404)
  assert.equal((await other.get(`/api/v1/conversations/${conversationId}/whatsapp-window`)).status, 404)
  assert.equal((await other.post(`/api/v1/conversations/${conversationId}/whatsapp-template`, { templateId: tpl.body.id })).status, 404)
})

test('media: an image is fetched through the Graph media URL into an attachment; an oversize one is kept out, saying why', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)])
  sandbox.addMedia(`MEDIA-${inbox.phoneNumberId}`, jpeg, 'image/jpeg')
  sandbox.addMedia(`HUGE-${inbox.phoneNumberId}`, Buffer.alloc(10 * 1024 * 1024 + 1, 1), 'application/pdf')
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550144', '', { type: 'image', text: undefined, image: { id: `MEDIA-${inbox.phoneNumberId}`, mime_type: 'image/jpeg', caption: 'The broken part' } })] }))
  const conversationId = await theConversation(ws)
  const [m] = await messagesOf(ws, conversationId)
  assert.equal(m?.text, 'The broken part')
  assert.equal(m?.attachments.length, 1)
  const file = await ws.get(`/api/v1/conversations/${conversationId}/messages/${m?.id}/attachments/${m?.attachments[0].id}`)
  assert.equal(file.status, 200)
  assert.deepEqual(file.raw.rawPayload, jpeg)

  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550144', '', { type: 'document', text: undefined, document: { id: `HUGE-${inbox.phoneNumberId}`, filename: 'scan.pdf', mime_type: 'application/pdf' } })] }))
  const second = await waitFor(async () => (await messagesOf(ws, conversationId))[1], 'the second message')
  assert.equal(second.attachments.length, 0)
  assert.match(JSON.stringify(second.metadata.mediaSkipped), /MEDIA_TOO_LARGE/)
})

test('media out: files are uploaded to /media and sent by id, by type; an image past 5 MB fails before anything is sent', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550166', 'Send me the invoice')] }))
  const conversationId = await theConversation(ws)
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(1024, 5)])
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, {
    text: 'Here it is',
    attachments: [
      { filename: 'invoice.pdf', contentType: 'application/pdf', dataBase64: Buffer.from('%PDF-1.4 invoice').toString('base64') },
      { filename: 'photo.png', contentType: 'image/png', dataBase64: png.toString('base64') },
    ],
  })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  const uploads = sandbox.callsTo(`/${inbox.phoneNumberId}/media`).map((u) => ({ body: u.body as Json }))
  assert.deepEqual(uploads.map((u) => [u.body.messaging_product, u.body.file.type, u.body.file.size]).sort(), [['whatsapp', 'application/pdf', 16], ['whatsapp', 'image/png', png.length]])
  const sends = sandbox.callsTo(`/${inbox.phoneNumberId}/messages`).slice(-3).map((c) => c.body as Json)
  assert.deepEqual(sends[0], { messaging_product: 'whatsapp', recipient_type: 'individual', to: '14155550166', type: 'text', text: { body: 'Here it is', preview_url: false } })
  const files = sends.slice(1).map((b) => (b.type === 'document' ? ['document', typeof b.document.id, b.document.filename] : [b.type, typeof b.image?.id])).sort()
  assert.deepEqual(files, [['document', 'string', 'invoice.pdf'], ['image', 'string']])

  const calls = sandbox.calls.length
  const big = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'And the big one', attachments: [{ filename: 'big.jpg', contentType: 'image/jpeg', dataBase64: Buffer.alloc(5 * 1024 * 1024 + 1, 1).toString('base64') }] })
  const failed = await waitForDelivery(ws, conversationId, big.body.id, ['sent', 'failed'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.match(failed.deliveryError, /^MEDIA_TOO_LARGE: WhatsApp takes image files of at most 5242880 bytes; big\.jpg has 5242881/)
  assert.equal(sandbox.calls.length, calls, 'not even the text went')
})

test('provider errors: 429 with Retry-After and 5xx are retried until sent; a refused token fails without retry', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage('14155550155', 'Hi')] }))
  const conversationId = await theConversation(ws)

  sandbox.failNext(1, { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'rate', code: 130429 } } })
  sandbox.failNext(1, { status: 503, body: { error: { message: 'Service temporarily unavailable', code: 2 } } })
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Retried' })
  const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)

  sandbox.failNext(1, { status: 401, body: { error: { message: 'Invalid OAuth access token', code: 190 } } })
  const refused = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Refused' })
  const failed = await waitForDelivery(ws, conversationId, refused.body.id, ['sent', 'failed'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.match(failed.deliveryError, /^PROVIDER_AUTH_FAILED: Graph error 190/)
  assert.doesNotMatch(failed.deliveryError, /EAAG-sandbox-token/)
})

test('16 customers writing at once, each message sent twice, give 16 cases of one message each', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const numbers = Array.from({ length: 16 }, (_, i) => `1415555${String(2000 + i)}`)
  const payloads = numbers.map((n) => whatsappPayload(inbox.phoneNumberId, { messages: [customerMessage(n, `Hello from ${n}`)] }))
  const answers = await Promise.all([...payloads, ...payloads].map((p) => deliver(inbox.id, p)))
  assert.ok(answers.every((a) => a.status === 200))
  const list = await waitFor(async () => {
    const res = await ws.get('/api/v1/conversations?limit=100')
    return res.body.items.length === 16 ? res.body.items : null
  }, '16 conversations')
  for (const c of list) assert.equal((await messagesOf(ws, c.id)).length, 1)
})

test('a flood from one number is held back, not lost: past 30 a minute the rest are queued for later', async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const messages = Array.from({ length: 33 }, (_, i) => customerMessage('14155550177', `spam ${i}`))
  assert.equal((await deliver(inbox.id, whatsappPayload(inbox.phoneNumberId, { messages }))).status, 200)
  const conversationId = await theConversation(ws)
  const held = await t.database.pool.query("select count(*)::int as n from pgboss.job where name = 'channel-messaging-inbound' and data->>'inboxId' = $1 and start_after >= created_on + interval '1 second'", [inbox.id])
  // Spread at the allowed rate: 2, 4 and 6 seconds later.
  assert.equal((held.rows[0] as { n: number }).n, 3)
  // Held back, not lost.
  await waitFor(async () => (await messagesOf(ws, conversationId)).length === 33, 'all 33 stored in the end', 1500)
})

test("WhatsApp Manager's template verdicts (message_template_status_update) update the recorded template", async () => {
  const ws = await t.workspace()
  const inbox = await whatsappInbox(ws)
  const tpl = await ws.post(`/api/v1/inboxes/${inbox.id}/whatsapp-templates`, { name: 'welcome', language: 'en_US', body: 'Welcome {{1}}', status: 'pending' })
  assert.equal(tpl.status, 201, JSON.stringify(tpl.body))
  const verdict = (event: string) => ({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA-SANDBOX', time: Date.now(), changes: [{ field: 'message_template_status_update', value: { event, message_template_id: 9001, message_template_name: 'welcome', message_template_language: 'en_US', reason: 'NONE' } }] }],
  })
  assert.equal((await deliver(inbox.id, verdict('APPROVED'))).status, 200)
  await waitFor(async () => (await ws.get(`/api/v1/inboxes/${inbox.id}/whatsapp-templates/${tpl.body.id}`)).body.status === 'approved', 'the template approved')
  assert.equal((await deliver(inbox.id, verdict('PAUSED'))).status, 200)
  await waitFor(async () => (await ws.get(`/api/v1/inboxes/${inbox.id}/whatsapp-templates/${tpl.body.id}`)).body.status === 'paused', 'the template paused')
})
