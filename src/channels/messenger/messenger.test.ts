import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { messagingPayload, signedWebhook, startMetaSandbox } from '../meta/sandbox.ts'
import { inboundJobCount, messagesOf, postWebhook, rand, theConversation, waitFor } from '../meta/test-helpers.ts'

// Messenger and Instagram end to end: signed Graph webhooks in, the sandbox Send API out.
const sandbox = await startMetaSandbox()
sandbox.expectToken = 'EAAP-page-token'
const t = await useTestApp({ OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '3', OUTBOUND_BREAKER_FAILURES: '100' }, { start: true })
after(() => sandbox.close())

const APP_SECRET = 'page-app-secret'
type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any -- the sandbox's record of a multipart call
type Kind = 'messenger' | 'instagram'

async function inboxOf(ws: WorkspaceClient, channel: Kind) {
  const pageId = `${Date.now()}${Math.floor(Math.random() * 1000)}`
  const config = { pageId, pageAccessToken: 'EAAP-page-token', appSecret: APP_SECRET, verifyToken: 'page-verify', apiBaseUrl: sandbox.url, ...(channel === 'instagram' && { instagramAccountId: `17841${pageId}` }) }
  const res = await ws.post('/api/v1/inboxes', { name: `${channel} ${pageId}`, channel, config })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return { id: res.body.id as string, accountId: channel === 'instagram' ? `17841${pageId}` : pageId }
}

const object = (channel: Kind) => (channel === 'messenger' ? 'page' : 'instagram')

async function deliver(channel: Kind, inboxId: string, payload: unknown, secret = APP_SECRET) {
  const { body, headers } = signedWebhook(payload, secret)
  return postWebhook(t, `/webhooks/${channel}/${inboxId}`, body, headers)
}

for (const channel of ['messenger', 'instagram'] as const) {
  test(`${channel}: a signed message becomes a case with the page-scoped id; a forged one is 401; replays are absorbed`, async () => {
    const ws = await t.workspace()
    const inbox = await inboxOf(ws, channel)
    const psid = `${channel === 'messenger' ? 'PSID' : 'IGSID'}${rand()}`
    const event = { sender: { id: psid }, recipient: { id: inbox.accountId }, timestamp: Date.now(), message: { mid: `m_${rand()}`, text: 'Do you ship to Norway?' } }
    const payload = messagingPayload(object(channel), inbox.accountId, [event])

    const jobs = await inboundJobCount(t)
    assert.equal((await deliver(channel, inbox.id, payload, 'forged')).status, 401)
    assert.equal(await inboundJobCount(t), jobs)

    assert.equal((await deliver(channel, inbox.id, payload)).status, 200)
    assert.equal((await deliver(channel, inbox.id, payload)).status, 200)
    const conversationId = await theConversation(ws)
    const conv = await ws.get(`/api/v1/conversations/${conversationId}`)
    assert.equal(conv.body.channel, channel)
    const contact = await ws.get(`/api/v1/contacts/${conv.body.contactId}`)
    assert.deepEqual(contact.body.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`), [`${channel}:${psid}`])
    assert.equal((await messagesOf(ws, conversationId)).length, 1)

    // The other Meta object on this endpoint is the wrong shape.
    const wrongObject = await deliver(channel, inbox.id, messagingPayload(channel === 'messenger' ? 'instagram' : 'page', inbox.accountId, [event]))
    assert.equal(wrongObject.status, 400)
  })

  test(`${channel}: the reply goes through the Send API with the page token; delivery and read watermarks update it`, async () => {
    const ws = await t.workspace()
    const inbox = await inboxOf(ws, channel)
    const psid = `P${rand()}`
    await deliver(channel, inbox.id, messagingPayload(object(channel), inbox.accountId, [{ sender: { id: psid }, recipient: { id: inbox.accountId }, timestamp: Date.now(), message: { mid: `m_${rand()}`, text: 'Hi' } }]))
    const conversationId = await theConversation(ws)
    const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Yes, we do!' })
    const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
    assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
    assert.match(sent.providerMessageId, /^m_/)
    const call = sandbox.callsTo(`/${inbox.accountId}/messages`).at(-1)
    assert.equal(call?.path, `/v21.0/${inbox.accountId}/messages`)
    assert.equal(call?.headers.authorization, 'Bearer EAAP-page-token')
    assert.deepEqual(call?.body, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'Yes, we do!' } })

    const later = Date.now() + 1000
    await deliver(channel, inbox.id, messagingPayload(object(channel), inbox.accountId, [{ sender: { id: psid }, recipient: { id: inbox.accountId }, timestamp: later, delivery: { mids: [sent.providerMessageId], watermark: later } }]))
    await waitFor(async () => (await messagesOf(ws, conversationId)).find((m) => m.id === reply.body.id)?.deliveryStatus === 'delivered', 'delivered')
    await deliver(channel, inbox.id, messagingPayload(object(channel), inbox.accountId, [{ sender: { id: psid }, recipient: { id: inbox.accountId }, timestamp: later + 1, read: { watermark: later + 1 } }]))
    await waitFor(async () => (await messagesOf(ws, conversationId)).find((m) => m.id === reply.body.id)?.deliveryStatus === 'read', 'read')

    // A file goes as a multipart Send API call with the bytes in `filedata`, typed by its content.
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(512, 9)])
    const withFile = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Here is the map', attachments: [{ filename: 'map.png', contentType: 'image/png', dataBase64: png.toString('base64') }] })
    assert.equal(withFile.status, 201, JSON.stringify(withFile.body))
    const fileSent = await waitForDelivery(ws, conversationId, withFile.body.id, ['sent', 'failed'])
    assert.equal(fileSent.deliveryStatus, 'sent', fileSent.deliveryError)
    const upload = sandbox.callsTo(`/${inbox.accountId}/messages`).at(-1)?.body as Json
    assert.deepEqual(JSON.parse(upload?.recipient), { id: psid })
    assert.deepEqual(JSON.parse(upload?.message), { attachment: { type: 'image', payload: { is_reusable: false } } })
    assert.deepEqual([upload?.filedata.filename, upload?.filedata.type, upload?.filedata.size], ['map.png', 'image/png', png.length])

    // A PDF: Messenger takes any file; Instagram refuses it before anything is sent.
    const calls = sandbox.calls.length
    const pdf = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'And the invoice', attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', dataBase64: Buffer.from('%PDF-1.4').toString('base64') }] })
    const pdfSent = await waitForDelivery(ws, conversationId, pdf.body.id, ['sent', 'failed'])
    if (channel === 'messenger') assert.equal(pdfSent.deliveryStatus, 'sent', pdfSent.deliveryError)
    else {
      assert.equal(pdfSent.deliveryStatus, 'failed')
      assert.match(pdfSent.deliveryError, /^MEDIA_TYPE_UNSUPPORTED: Instagram messages carry images, audio and video only/)
      assert.equal(sandbox.calls.length, calls, 'not even the text went')
    }
  })
}

test('messenger: an image attachment is downloaded into the case; the handshake echoes the challenge', async () => {
  const ws = await t.workspace()
  const inbox = await inboxOf(ws, 'messenger')
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
  const { cdnUrl } = sandbox.addMedia(`photo-${rand()}.png`, png, 'image/png')
  await deliver('messenger', inbox.id, messagingPayload('page', inbox.accountId, [{ sender: { id: 'PSIDIMG' }, recipient: { id: inbox.accountId }, timestamp: Date.now(), message: { mid: `m_${rand()}`, attachments: [{ type: 'image', payload: { url: cdnUrl } }] } }]))
  const conversationId = await theConversation(ws)
  const [m] = await messagesOf(ws, conversationId)
  assert.equal(m?.attachments.length, 1)
  assert.equal(m?.attachments[0].contentType, 'image/png')

  const hs = await t.omnidesk.app.inject({ method: 'GET', url: `/webhooks/messenger/${inbox.id}?hub.mode=subscribe&hub.verify_token=page-verify&hub.challenge=abc123` })
  assert.equal(hs.statusCode, 200)
  assert.equal(hs.body, 'abc123')
})
