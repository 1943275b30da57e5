import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { inboundJobCount, messagesOf, postWebhook, theConversation, waitFor } from '../meta/test-helpers.ts'
import { startTelegramSandbox } from './sandbox.ts'

// Telegram end to end: the sandbox Bot API records setWebhook and signs updates with the secret token it was given.
const TOKEN = '123456789:AAHsandboxTokenForTelegramTests_x'
const sandbox = await startTelegramSandbox(TOKEN)
const t = await useTestApp({ PUBLIC_URL: 'https://desk.example.com', OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '3', OUTBOUND_BREAKER_FAILURES: '100' }, { start: true })
after(() => sandbox.close())

let updateId = 1
let messageId = 1
const update = (fromId: number, fields: Record<string, unknown>) => ({
  update_id: updateId++,
  message: { message_id: messageId++, date: Math.floor(Date.now() / 1000), chat: { id: fromId, type: 'private', first_name: 'Ada' }, from: { id: fromId, is_bot: false, first_name: 'Ada', last_name: 'L', username: 'ada_l' }, ...fields },
})

async function telegramInbox(ws: WorkspaceClient) {
  const res = await ws.post('/api/v1/inboxes', { name: 'Telegram bot', channel: 'telegram', config: { botToken: TOKEN, apiBaseUrl: sandbox.url } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const id = res.body.id as string
  await waitFor(async () => sandbox.webhook?.url.endsWith(id), 'setWebhook for the new inbox')
  return id
}

async function send(u: unknown, headers?: Record<string, string>) {
  const req = sandbox.updateRequest(u)
  return postWebhook(t, req.path, req.body, headers ?? req.headers)
}

test('creating the inbox calls setWebhook with the public URL and a secret token; updates carrying it become a case', async () => {
  const ws = await t.workspace()
  const inboxId = await telegramInbox(ws)
  const hook = sandbox.webhook
  assert.equal(hook?.url, `https://desk.example.com/webhooks/telegram/${inboxId}`)
  assert.match(hook?.secretToken ?? '', /^[A-Za-z0-9_-]{32,256}$/)
  assert.deepEqual(sandbox.callsOf('setWebhook').at(-1)?.body.allowed_updates, ['message', 'edited_message'])

  const u = update(555001, { text: 'Hello bot' })
  const jobs = await inboundJobCount(t)
  const forged = await send(u, { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'wrong' })
  assert.equal(forged.status, 401)
  const missing = await send(u, { 'content-type': 'application/json' })
  assert.equal(missing.status, 401)
  assert.equal(await inboundJobCount(t), jobs)

  assert.equal((await send(u)).status, 200)
  assert.equal((await send(u)).status, 200, 'Telegram redelivers: absorbed')
  const conversationId = await theConversation(ws)
  const conv = await ws.get(`/api/v1/conversations/${conversationId}`)
  assert.equal(conv.body.channel, 'telegram')
  const contact = await ws.get(`/api/v1/contacts/${conv.body.contactId}`)
  assert.equal(contact.body.name, 'Ada L')
  assert.deepEqual(contact.body.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`), ['telegram:555001'])
  assert.equal((await messagesOf(ws, conversationId)).length, 1)

  const info = await ws.get(`/api/v1/inboxes/${inboxId}/telegram-webhook`)
  assert.equal(info.status, 200, JSON.stringify(info.body))
  assert.equal(info.body.registered, true)
})

test('the agent reply goes out with sendMessage (and sendDocument for a file); a document comes in through getFile', async () => {
  const ws = await t.workspace()
  const inboxId = await telegramInbox(ws)
  const pdf = Buffer.from('%PDF-1.4 telegram')
  sandbox.addFile('DOC-FILE-1', pdf)
  await send(update(555002, { document: { file_id: 'DOC-FILE-1', file_unique_id: 'u1', file_name: 'invoice.pdf', mime_type: 'application/pdf', file_size: pdf.length }, caption: 'My invoice' }))
  const conversationId = await theConversation(ws)
  const [m] = await messagesOf(ws, conversationId)
  assert.equal(m?.text, 'My invoice')
  assert.equal(m?.attachments[0]?.filename, 'invoice.pdf')
  const bytes = await ws.get(`/api/v1/conversations/${conversationId}/messages/${m?.id}/attachments/${m?.attachments[0].id}`)
  assert.deepEqual(bytes.raw.rawPayload, pdf)

  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, {
    text: 'Thanks, here is the corrected one',
    attachments: [{ filename: 'corrected.pdf', contentType: 'application/pdf', dataBase64: Buffer.from('%PDF fixed').toString('base64') }],
  })
  const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  assert.match(sent.providerMessageId, /^555002:\d+$/)
  assert.deepEqual(sandbox.callsOf('sendMessage').at(-1)?.body, { chat_id: 555002, text: 'Thanks, here is the corrected one' })
  const doc = sandbox.callsOf('sendDocument').at(-1)?.body
  assert.equal(doc?.chat_id, '555002')
  assert.equal((doc?.document as { filename: string }).filename, 'corrected.pdf')
  void inboxId
})

test('a 429 with retry_after is retried; a blocked bot (403) fails with the reason', async () => {
  const ws = await t.workspace()
  await telegramInbox(ws)
  await send(update(555003, { text: 'hi' }))
  const conversationId = await theConversation(ws)
  sandbox.failNext(1, { status: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 })
  const ok = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'after a pause' })
  assert.equal((await waitForDelivery(ws, conversationId, ok.body.id, ['sent', 'failed'])).deliveryStatus, 'sent')
  sandbox.failNext(1, { status: 403, description: 'Forbidden: bot was blocked by the user' })
  const blocked = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'hello?' })
  const failed = await waitForDelivery(ws, conversationId, blocked.body.id, ['sent', 'failed'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.match(failed.deliveryError, /^RECIPIENT_UNAVAILABLE: Telegram 403: Forbidden: bot was blocked by the user/)
  assert.doesNotMatch(failed.deliveryError, new RegExp(TOKEN.split(':')[1] ?? 'x'))
})

test('changing the bot token registers the webhook again with a new secret; the old secret stops working', async () => {
  const ws = await t.workspace()
  const inboxId = await telegramInbox(ws)
  const oldSecret = sandbox.webhook?.secretToken
  const calls = sandbox.callsOf('setWebhook').length
  // The sandbox accepts one token only: point this inbox at a second sandbox bot.
  const second = await startTelegramSandbox('987654321:AAHanotherSandboxTokenForTests_y')
  try {
    const res = await ws.patch(`/api/v1/inboxes/${inboxId}`, { config: { botToken: second.token, apiBaseUrl: second.url } })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    await waitFor(async () => second.webhook?.url.endsWith(inboxId), 'setWebhook on the new bot')
    assert.notEqual(second.webhook?.secretToken, oldSecret)
    assert.equal(sandbox.callsOf('setWebhook').length, calls)
    const u = update(555004, { text: 'new bot' })
    const stale = await postWebhook(t, `/webhooks/telegram/${inboxId}`, JSON.stringify(u), { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': oldSecret ?? '' })
    assert.equal(stale.status, 401)
    const req = second.updateRequest(u)
    assert.equal((await postWebhook(t, req.path, req.body, req.headers)).status, 200)
    await theConversation(ws)
  } finally {
    await second.close()
  }
})

test("another workspace gets 404 for this bot's webhook settings", async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const inboxId = await telegramInbox(ws)
  assert.equal((await other.get(`/api/v1/inboxes/${inboxId}/telegram-webhook`)).status, 404)
  assert.equal((await other.post(`/api/v1/inboxes/${inboxId}/telegram-webhook`)).status, 404)
})
