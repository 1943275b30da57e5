import assert from 'node:assert/strict'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { before, describe, test } from 'node:test'
import { useTestApp, type TestApp, type WorkspaceClient } from '../../test/harness.ts'
import { AppError } from '../platform/errors.ts'
import { type WebhookDefinition, type WebhookHandlerInput, webhookRoutes } from './webhooks.ts'

// A provider of the test's own: signs the raw body with the inbox's appSecret, as Meta does.
const received: Array<{ inboxId: string; workspaceId: string; body: Buffer; contentType: string | undefined }> = []
const sign = (secret: string, body: Buffer | string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

const dummy: WebhookDefinition = {
  provider: 'dummy',
  channels: ['whatsapp'],
  async receive({ inbox, request }: WebhookHandlerInput) {
    const given = Buffer.from(String(request.headers['x-dummy-signature'] ?? ''))
    const expected = Buffer.from(sign(String(inbox.secrets.appSecret), request.body))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'The signature does not match')
    received.push({ inboxId: inbox.id, workspaceId: inbox.workspaceId, body: request.body, contentType: request.headers['content-type'] as string | undefined })
    return { body: { received: request.body.length } }
  },
  async handshake({ request }: WebhookHandlerInput) {
    if (request.query['hub.verify_token'] !== 'let-me-in') throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'Wrong verify token')
    return { body: String(request.query['hub.challenge']) }
  },
}

const APP_SECRET = 'dummy-app-secret-0123456789'
const t: TestApp = await useTestApp({ WEBHOOK_BODY_LIMIT: '4096', WEBHOOK_RATE_LIMIT: '20' })
await t.omnidesk.app.register(webhookRoutes(t.omnidesk.webhookDeps, [dummy]))
let ws: WorkspaceClient
let inboxId: string

const post = (path: string, body: Buffer | string, headers: Record<string, string> = {}, remoteAddress = '203.0.113.1') =>
  t.omnidesk.app.inject({ method: 'POST', url: path, payload: body, headers, remoteAddress })

before(async () => {
  ws = await t.workspace()
  const res = await ws.post('/api/v1/inboxes', {
    name: 'WhatsApp',
    channel: 'whatsapp',
    config: { provider: 'sandbox', apiBaseUrl: 'http://127.0.0.1:9', phoneNumberId: '1234', accessToken: 'token-abc', appSecret: APP_SECRET },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  inboxId = res.body.id
})

describe('webhook infrastructure', () => {
  test('the raw bytes reach the channel intact, whatever the content type, and the inbox is resolved with its secrets', async () => {
    // Not valid UTF-8, odd spacing: the JSON guards would refuse it (400 INVALID_JSON); a signature is over exactly these bytes.
    const bytes = Buffer.concat([Buffer.from('{ "text" :  "caf\u00e9" ,'), Buffer.from([0xff, 0xfe]), Buffer.from(' }\n')])
    const before = received.length
    const res = await post(`/webhooks/dummy/${inboxId}`, bytes, { 'content-type': 'application/json', 'x-dummy-signature': sign(APP_SECRET, bytes) })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), { received: bytes.length })
    const got = received[before]
    assert.ok(got)
    assert.ok(got.body.equals(bytes), 'the body arrives byte for byte')
    assert.equal(got.inboxId, inboxId)
    assert.equal(got.workspaceId, ws.workspaceId)
  })

  test('a form-encoded body (and one without a content type) is not refused by the input guards', async () => {
    const form = 'From=%2B14155550100&Body=Hello+%00there&NumMedia=0'
    const res = await post(`/webhooks/dummy/${inboxId}`, form, { 'content-type': 'application/x-www-form-urlencoded', 'x-dummy-signature': sign(APP_SECRET, form) })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(received.at(-1)?.body.toString('latin1'), form)
    assert.equal(received.at(-1)?.contentType, 'application/x-www-form-urlencoded')

    const xml = '<Message><Body>hi</Body></Message>'
    const plain = await post(`/webhooks/dummy/${inboxId}`, xml, { 'content-type': 'text/xml', 'x-dummy-signature': sign(APP_SECRET, xml) })
    assert.equal(plain.statusCode, 200, plain.body)
    assert.equal(received.at(-1)?.body.toString(), xml)

    // The same form body on an API route is still a 415: only webhook routes are exempt.
    const api = await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/contacts', payload: form, headers: { authorization: `Bearer ${ws.token}`, 'content-type': 'application/x-www-form-urlencoded' } })
    assert.equal(api.statusCode, 415)
  })

  test('an unknown, malformed, disabled or other-channel inbox is 404 INBOX_NOT_FOUND and nothing reaches the channel', async () => {
    const body = '{"x":1}'
    const headers = { 'content-type': 'application/json', 'x-dummy-signature': sign(APP_SECRET, body) }
    const before = received.length
    const other = await ws.post('/api/v1/inboxes', { name: 'API 2', channel: 'api', config: {} })
    assert.equal(other.status, 201)
    const disabled = await ws.post('/api/v1/inboxes', {
      name: 'Old WhatsApp',
      channel: 'whatsapp',
      config: { provider: 'sandbox', apiBaseUrl: 'http://127.0.0.1:9', phoneNumberId: '999', accessToken: 'token-abc', appSecret: APP_SECRET },
    })
    assert.equal((await ws.patch(`/api/v1/inboxes/${disabled.body.id}`, { active: false })).status, 200)
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', other.body.id, disabled.body.id]) {
      const res = await post(`/webhooks/dummy/${id}`, body, headers)
      assert.equal(res.statusCode, 404, `${id}: ${res.body}`)
      assert.equal(res.json().error.code, 'INBOX_NOT_FOUND')
    }
    assert.equal(received.length, before)
    // An unknown provider is no route at all.
    assert.equal((await post(`/webhooks/nobody/${inboxId}`, body, headers)).statusCode, 404)
  })

  test("a bad signature is the channel's 401, a body over WEBHOOK_BODY_LIMIT a 413, and neither is stored", async () => {
    const before = received.length
    const bad = await post(`/webhooks/dummy/${inboxId}`, '{"x":1}', { 'content-type': 'application/json', 'x-dummy-signature': sign('wrong', '{"x":1}') })
    assert.equal(bad.statusCode, 401)
    assert.equal(bad.json().error.code, 'WEBHOOK_SIGNATURE_INVALID')
    const big = Buffer.alloc(5000, 0x61)
    const tooBig = await post(`/webhooks/dummy/${inboxId}`, big, { 'content-type': 'application/octet-stream', 'x-dummy-signature': sign(APP_SECRET, big) })
    assert.equal(tooBig.statusCode, 413)
    assert.equal(tooBig.json().error.code, 'PAYLOAD_TOO_LARGE')
    assert.match(tooBig.json().error.message, /4096/)
    assert.equal(received.length, before)
  })

  test('the GET handshake reaches the channel with its query, without API credentials', async () => {
    const ok = await t.omnidesk.app.inject({ method: 'GET', url: `/webhooks/dummy/${inboxId}?hub.mode=subscribe&hub.verify_token=let-me-in&hub.challenge=12345` })
    assert.equal(ok.statusCode, 200)
    assert.equal(ok.body, '12345')
    const bad = await t.omnidesk.app.inject({ method: 'GET', url: `/webhooks/dummy/${inboxId}?hub.verify_token=nope&hub.challenge=1` })
    assert.equal(bad.statusCode, 401)
  })

  test('16 concurrent deliveries from different addresses each arrive whole, to the right inbox', async () => {
    const before = received.length
    const bodies = Array.from({ length: 16 }, (_, i) => `{"seq":${i},"pad":"${'x'.repeat(i * 50)}"}`)
    const results = await Promise.all(
      bodies.map((b, i) => post(`/webhooks/dummy/${inboxId}`, b, { 'content-type': 'application/json', 'x-dummy-signature': sign(APP_SECRET, b) }, `192.0.2.${i + 1}`)),
    )
    assert.deepEqual(
      results.map((r) => r.statusCode),
      Array(16).fill(200),
    )
    const got = received.slice(before).map((r) => r.body.toString())
    assert.deepEqual(got.sort(), [...bodies].sort())
  })

  test('each client address is limited per minute (WEBHOOK_RATE_LIMIT); another address is not affected', async () => {
    const body = '{"n":1}'
    const headers = { 'content-type': 'application/json', 'x-dummy-signature': sign(APP_SECRET, body) }
    const before = received.length
    // One at a time: @fastify/rate-limit's memory store hands every request of a same-tick burst the burst's final count.
    for (let i = 0; i < 20; i++) assert.equal((await post(`/webhooks/dummy/${inboxId}`, body, headers, '198.51.100.7')).statusCode, 200)
    const refused = await post(`/webhooks/dummy/${inboxId}`, body, headers, '198.51.100.7')
    assert.equal(refused.statusCode, 429)
    assert.equal(refused.json().error.code, 'RATE_LIMITED')
    assert.equal(received.length, before + 20)
    const elsewhere = await post(`/webhooks/dummy/${inboxId}`, body, headers, '198.51.100.8')
    assert.equal(elsewhere.statusCode, 200)
  })
})
