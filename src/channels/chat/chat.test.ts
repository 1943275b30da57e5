import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { identityHash } from './chat.service.ts'
import { chatInbox, httpUrlOf, visitorSocket, wsUrlOf } from './test-helpers.ts'

const t = await useTestApp({}, { start: true })
await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const ORIGIN = { origin: 'https://shop.example' }

const messagesOf = async (ws: Awaited<ReturnType<typeof t.workspace>>, conversationId: string) => (await ws.get(`/api/v1/conversations/${conversationId}/messages?limit=100`)).body.items as Array<{ id: string; text: string; html: string | null; direction: string; channel: string }>
const conversationIdOf = async (ws: Awaited<ReturnType<typeof t.workspace>>, messageId: string) => {
  const list = await ws.get('/api/v1/conversations?limit=100')
  for (const c of list.body.items) if ((await messagesOf(ws, c.id)).some((m) => m.id === messageId)) return c.id as string
  throw new Error(`no conversation holds ${messageId}`)
}

test('a visitor says hello, chats, and a resent client id is absorbed (one message stored)', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws, { welcomeMessage: 'Hi! How can we help?' })
  const v = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  const ready = await v.hello()
  assert.equal(ready.type, 'ready', JSON.stringify(ready))
  assert.match(ready.token, /^[A-Za-z0-9_-]{20,}$/)
  assert.equal(ready.welcome.message, 'Hi! How can we help?')
  assert.deepEqual(ready.history, [])

  const first = await v.say('<script>alert(1)</script><b>Hello</b>', 'client-0001')
  assert.equal(first.type, 'ack', JSON.stringify(first))
  assert.equal(first.duplicate, false)
  const again = await v.say('<script>alert(1)</script><b>Hello</b>', 'client-0001')
  assert.equal(again.id, first.id)
  assert.equal(again.duplicate, true)

  const conversationId = await conversationIdOf(ws, first.id)
  const stored = await messagesOf(ws, conversationId)
  assert.equal(stored.length, 1)
  // HTML from a visitor is text: stored verbatim as text, never as HTML.
  assert.equal(stored[0]?.text, '<script>alert(1)</script><b>Hello</b>')
  assert.equal(stored[0]?.html, null)
  assert.equal(stored[0]?.channel, 'chat')

  // The same token later (a reload, another tab) is the same visitor with its history.
  await v.close()
  const back = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  const resumed = await back.hello(ready.token)
  assert.equal(resumed.visitorId, ready.visitorId)
  assert.equal(resumed.token, undefined, 'no new token for a known visitor')
  assert.deepEqual(resumed.history.map((m: { text: string; clientId: string }) => [m.text, m.clientId]), [['<script>alert(1)</script><b>Hello</b>', 'client-0001']])
  await back.close()
})

test('unknown and disabled inboxes, other origins and a missing hello are refused clearly', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws)
  const unknown = visitorSocket(wsUrlOf(t, '00000000-0000-4000-8000-000000000000'), ORIGIN)
  assert.equal((await unknown.next((f) => f.type === 'error')).code, 'INBOX_NOT_FOUND')
  assert.equal((await unknown.closed()).code, 4404)
  const garbage = visitorSocket(wsUrlOf(t, 'not-a-uuid'), ORIGIN)
  assert.equal((await garbage.closed()).code, 4404)

  const evil = visitorSocket(wsUrlOf(t, inboxId), { origin: 'https://evil.example' })
  assert.equal((await evil.next((f) => f.type === 'error')).code, 'ORIGIN_NOT_ALLOWED')
  assert.equal((await evil.closed()).code, 4403)

  const rude = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await rude.send({ type: 'message', clientId: 'client-0001', text: 'no hello' })
  assert.equal((await rude.closed()).code, 4400)

  assert.equal((await ws.patch(`/api/v1/inboxes/${inboxId}`, { active: false })).status, 200)
  const off = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  assert.equal((await off.next((f) => f.type === 'error')).code, 'INBOX_DISABLED')
  assert.equal((await off.closed()).code, 4410)
})

test('flood, oversize and malformed frames from a visitor are refused and nothing is stored', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws, { messagesPerMinute: 3, maxMessageLength: 50 })
  const v = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await v.hello()
  const tooLong = await v.say('x'.repeat(51))
  assert.equal(tooLong.code, 'PAYLOAD_TOO_LARGE')
  await v.send('{not json')
  assert.equal((await v.next((f) => f.type === 'error')).code, 'INVALID_JSON')
  await v.send({ type: 'message', clientId: 'x', text: 'bad id' })
  assert.equal((await v.next((f) => f.type === 'error' && f.code === 'VALIDATION_FAILED')).clientId, 'x')

  const acks = [await v.say('one'), await v.say('two')]
  assert.deepEqual(acks.map((a) => a.type), ['ack', 'ack'])
  const flooded = await v.say('four')
  assert.equal(flooded.code, 'RATE_LIMITED')
  assert.ok(flooded.retryAfterSeconds >= 1)
  const conversationId = await conversationIdOf(ws, acks[0].id)
  assert.deepEqual((await messagesOf(ws, conversationId)).map((m) => m.text), ['one', 'two'])
  await v.close()
})

test('an agent reply reaches the visitor live, with the agent’s name; typing goes both ways', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws)
  const v = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await v.hello()
  const ack = await v.say('Where is my order?')
  const conversationId = await conversationIdOf(ws, ack.id)

  const typing = await ws.post(`/api/v1/chat/conversations/${conversationId}/typing`, { typing: true })
  assert.equal(typing.status, 200, JSON.stringify(typing.body))
  assert.equal(typing.body.visitors, 1)
  assert.equal((await v.next((f) => f.type === 'typing')).typing, true)

  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'It ships today.' })
  assert.equal(reply.status, 201)
  const pushed = await v.next((f) => f.type === 'message' && f.message.direction === 'outbound', 'the reply')
  assert.equal(pushed.message.text, 'It ships today.')
  assert.equal(pushed.message.id, reply.body.id)
  assert.ok(pushed.message.author.name)
  const delivered = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(delivered.deliveryStatus, 'sent', delivered.deliveryError)
  await v.close()
})

test('identify(): a valid hash shows the contact’s earlier case; a forged one attaches nobody', async () => {
  const ws = await t.workspace()
  const secret = 'site-secret-0123456789'
  const inboxId = await chatInbox(ws, { identitySecret: secret })
  // Ada's earlier case, opened over the API and tied to her site account id.
  const contact = await ws.post('/api/v1/contacts', { name: 'Ada', identities: [{ kind: 'external', value: 'user-42' }, { kind: 'email', value: 'ada@example.com' }] })
  assert.equal(contact.status, 201, JSON.stringify(contact.body))
  const earlier = await ws.post('/api/v1/conversations', { contact: { email: 'ada@example.com' }, message: { text: 'Earlier question about invoices' } })
  assert.equal(earlier.status, 201)
  assert.equal(earlier.body.contactId, contact.body.id)

  const forged = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await forged.hello()
  await forged.send({ type: 'identify', id: 'user-42', hash: identityHash('wrong-secret', 'user-42') })
  const refused = await forged.next((f) => f.type === 'identified')
  assert.equal(refused.verified, false)
  assert.ok(!refused.history.some((m: { text: string }) => m.text.includes('invoices')))
  // Once the forger writes (and so is a contact), a forged claim is at most a suggestion for an agent.
  const forgedAck = await forged.say('hello?')
  await forged.send({ type: 'identify', id: 'user-42', hash: 'f'.repeat(64) })
  assert.equal((await forged.next((f) => f.type === 'identified')).verified, false)
  const forgedConv = (await ws.get(`/api/v1/conversations/${await conversationIdOf(ws, forgedAck.id)}`)).body
  assert.notEqual(forgedConv.contactId, contact.body.id)
  const suggestions = (await ws.get('/api/v1/merge-suggestions')).body.items as Array<{ evidence: { source: string } }>
  assert.deepEqual(suggestions.map((x) => x.evidence.source), ['chat.identify-unsigned'])
  await forged.close()

  const real = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await real.hello()
  await real.send({ type: 'identify', id: 'user-42', name: 'Ada', hash: identityHash(secret, 'user-42') })
  const ok = await real.next((f) => f.type === 'identified')
  assert.equal(ok.verified, true)
  assert.ok(ok.history.some((m: { text: string }) => m.text === 'Earlier question about invoices'), JSON.stringify(ok.history))
  const ack = await real.say('Me again')
  const conv = await ws.get(`/api/v1/conversations/${await conversationIdOf(ws, ack.id)}`)
  assert.equal(conv.body.contactId, contact.body.id, 'a verified visitor writes as the contact')

  // Another account signs in on the same browser: it does not see the first account's cases.
  await real.send({ type: 'identify', id: 'user-43', hash: identityHash(secret, 'user-43') })
  const other = await real.next((f) => f.type === 'identified')
  assert.equal(other.verified, true)
  assert.deepEqual(other.history, [], JSON.stringify(other.history))
  await real.close()
})

test('uploads: allowed files become messages; wrong type, disguised content, oversize, bad origin and bad token are refused', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws, { attachments: { maxFileBytes: 1024, allowedTypes: ['image/png', 'text/plain'] } })
  const v = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  const { token } = await v.hello()
  const url = `${httpUrlOf(t)}/chat/attachments?inboxId=${inboxId}`
  const upload = (body: Buffer, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', body, headers: { origin: 'https://shop.example', 'x-visitor-token': token, 'x-client-id': `f-${Math.random().toString(36).slice(2, 10)}`, ...headers } })
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)])

  const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } })
  assert.equal(pre.status, 204)
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://shop.example')

  const ok = await upload(png, { 'content-type': 'image/png', 'x-filename': encodeURIComponent('screen shot.png') })
  assert.equal(ok.status, 201, await ok.clone().text())
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://shop.example')
  const body = (await ok.json()) as { message: { attachments: Array<{ filename: string }> } }
  assert.equal(body.message.attachments[0]?.filename, 'screen shot.png')

  assert.equal((await upload(Buffer.from('%PDF-1.4'), { 'content-type': 'application/pdf' })).status, 415)
  assert.equal((await upload(Buffer.from('<html><script>alert(1)</script>'), { 'content-type': 'image/png' })).status, 415)
  assert.equal((await upload(Buffer.concat([png, Buffer.alloc(2000)]), { 'content-type': 'image/png' })).status, 413)
  assert.equal((await upload(png, { 'content-type': 'image/png', origin: 'https://evil.example' })).status, 403)
  assert.equal((await upload(png, { 'content-type': 'image/png', 'x-visitor-token': 'forged' })).status, 401)
  const unknown = await fetch(`${httpUrlOf(t)}/chat/attachments?inboxId=00000000-0000-4000-8000-000000000000`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } })
  assert.equal(unknown.status, 404)
  assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'INBOX_NOT_FOUND')
  await v.close()
})

test('widget.js is served for other sites, within its gzipped size budget', async () => {
  const res = await fetch(`${httpUrlOf(t)}/widget.js`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin')
  assert.match(res.headers.get('content-type') ?? '', /javascript/)
  const js = Buffer.from(await res.arrayBuffer())
  const { gzipSync } = await import('node:zlib')
  const gz = gzipSync(js, { level: 9 }).length
  assert.ok(gz < 60 * 1024, `widget.js is ${gz} bytes gzipped; the budget is 60 kB`)
  assert.ok(js.includes('Open chat'))
})

test('another workspace cannot signal into a chat conversation (404)', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const inboxId = await chatInbox(a)
  const v = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await v.hello()
  const ack = await v.say('hello')
  const conversationId = await conversationIdOf(a, ack.id)
  assert.equal((await b.post(`/api/v1/chat/conversations/${conversationId}/typing`, { typing: true })).status, 404)
  assert.equal((await b.get(`/api/v1/conversations/${conversationId}`)).status, 404)
  await v.close()
})

test('16 visitors chatting at once each get their own case, every message once', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws, { messagesPerMinute: 100 })
  const visitors = Array.from({ length: 16 }, () => visitorSocket(wsUrlOf(t, inboxId), ORIGIN))
  await Promise.all(visitors.map((v) => v.hello()))
  const acks = await Promise.all(visitors.map(async (v, i) => [await v.say(`visitor ${i} first`), await v.say(`visitor ${i} second`)]))
  for (const pair of acks) for (const a of pair) assert.equal(a.type, 'ack', JSON.stringify(a))
  const list = await ws.get('/api/v1/conversations?limit=100')
  assert.equal(list.body.items.length, 16)
  for (const c of list.body.items) {
    const texts = (await messagesOf(ws, c.id)).map((m) => m.text)
    assert.equal(texts.length, 2)
    assert.match(texts[0] ?? '', /^visitor (\d+) first$/)
    assert.equal(texts[1], texts[0]?.replace('first', 'second'))
  }
  await Promise.all(visitors.map((v) => v.close()))
})

test('agents on the realtime stream see the visitor’s message, typing and read mark', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws)
  const v = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await v.hello()
  const ack = await v.say('first')
  const conversationId = await conversationIdOf(ws, ack.id)
  const agent = visitorSocket(wsUrlOf(t, inboxId).replace(/\/chat\/ws\?.*$/, '/api/v1/realtime'), { authorization: `Bearer ${ws.token}` })
  await agent.next((f) => f.type === 'ready')
  await agent.send({ type: 'subscribe', topics: [`conversation:${conversationId}`] })
  await agent.next((f) => f.type === 'subscribed')

  await v.send({ type: 'typing', typing: true })
  const typing = await agent.next((f) => f.type === 'event' && f.event.type === 'chat.visitor-typing', 'typing event')
  assert.equal(typing.event.payload.typing, true)
  const second = await v.say('second')
  const received = await agent.next((f) => f.type === 'event' && f.event.type === 'message.received' && f.event.payload.messageId === second.id, 'message.received')
  assert.equal(received.event.payload.channel, 'chat')
  await v.send({ type: 'read', upTo: new Date(Date.now() + 3_600_000).toISOString() })
  const read = await agent.next((f) => f.type === 'event' && f.event.type === 'chat.read', 'chat.read')
  assert.ok(new Date(read.event.payload.upTo).getTime() <= Date.now(), 'a future read mark is clamped to now')
  await Promise.all([v.close(), agent.close()])
})

test('a visitor asks to be called back: a callback task (source widget) with a due time in their case; the typed number never joins the contact', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws)
  const v = visitorSocket(wsUrlOf(t, inboxId), ORIGIN)
  await v.hello()
  await v.send({ type: 'callback', phone: '+14155550177' })
  const tooEarly = await v.next((f) => f.type === 'error' || f.type === 'callback-requested', 'the answer')
  assert.deepEqual([tooEarly.type, tooEarly.code], ['error', 'UNPROCESSABLE'], 'a callback joins a conversation: write first')
  const ack = await v.say('My parcel is lost')
  await v.send({ type: 'callback', phone: '0415 555', note: 'after 5pm' })
  const invalid = await v.next((f) => f.type === 'error', 'the refusal')
  assert.equal(invalid.code, 'VALIDATION_FAILED')
  await v.send({ type: 'callback', phone: '+14155550177', note: 'after 5pm' })
  const requested = await v.next((f) => f.type === 'callback-requested', 'the callback')
  assert.ok(Date.parse(requested.dueAt) > Date.now() - 1000)
  await v.close()

  const conversationId = await conversationIdOf(ws, ack.id)
  const tasks = (await ws.get(`/api/v1/conversations/${conversationId}/callback-requests`)).body.items
  assert.deepEqual(tasks.map((x: { id: string; phone: string; note: string; source: string; status: string }) => [x.id, x.phone, x.note, x.source, x.status]), [[requested.id, '+14155550177', 'after 5pm', 'widget', 'open']])
  const timeline = (await ws.get(`/api/v1/conversations/${conversationId}/timeline?limit=100`)).body.items
  assert.ok(timeline.some((i: { kind: string; event?: { type: string; payload: { source: string } } }) => i.kind === 'event' && i.event?.type === 'callback.requested' && i.event.payload.source === 'widget'))
  const conv = (await ws.get(`/api/v1/conversations/${conversationId}`)).body
  const identities = (await ws.get(`/api/v1/contacts/${conv.contactId}`)).body.identities as Array<{ kind: string }>
  assert.deepEqual(identities.map((i) => i.kind), ['widget'], 'an unverified number is not an identity')
  assert.equal((await (await t.workspace()).get(`/api/v1/conversations/${conversationId}/callback-requests`)).status, 404)
})
