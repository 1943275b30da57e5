import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { countRows, eventsOf, openConversation, waitForDelivery } from './test-helpers.ts'

// Started: replies are delivered by the job queue's worker after they commit.
const t = await useTestApp({}, { start: true })

test('a reply goes out through the default API inbox: queued, then sent; first response recorded, status kept', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  const reply = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'We are on it.' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.direction, 'outbound')
  assert.equal(reply.body.channel, 'api')
  assert.deepEqual(reply.body.author, { type: 'user', id: ws.adminUserId })
  assert.equal(reply.body.deliveryStatus, 'queued', 'the response does not wait for the channel')
  assert.equal(reply.body.providerMessageId, null)
  const sent = await waitForDelivery(ws, c.id, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent')
  assert.equal(sent.deliveryError, null)
  assert.ok(sent.providerMessageId, 'the adapter’s external id is kept')
  const after = (await ws.get(`/api/v1/conversations/${c.id}`)).body
  assert.ok(after.firstResponseAt)
  assert.equal(after.status, 'open')

  const second = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Still on it.' })
  await waitForDelivery(ws, c.id, second.body.id, ['sent'])
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.firstResponseAt, after.firstResponseAt, 'only the first reply counts')
  const listed = (await ws.get(`/api/v1/conversations/${c.id}/messages`)).body.items
  assert.deepEqual(listed.map((m: { direction: string }) => m.direction), ['inbound', 'outbound', 'outbound'])
  assert.equal(listed[1].deliveryStatus, 'sent')
  const types = (await eventsOf(t, c.id)).map((e) => e.type)
  assert.deepEqual(types.slice(2, 4), ['message.created', 'message.delivery-updated'])

  const andPending = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Please confirm.', status: 'pending' })
  assert.equal(andPending.status, 201)
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.status, 'pending')
})

test('a private note is never sent and is not a first response', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  const note = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Customer is a VIP', private: true })
  assert.equal(note.status, 201)
  assert.equal(note.body.direction, 'note')
  assert.equal(note.body.deliveryStatus, null)
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.firstResponseAt, null)
  assert.equal((await eventsOf(t, c.id)).some((e) => e.type === 'message.delivery-updated'), false)
})

test('replying on another channel switches the conversation’s channel, and the timeline shows it', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  const noInbox = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'By SMS', channel: 'sms' })
  assert.equal(noInbox.status, 422, 'no sms inbox used yet')
  const chat = await ws.post('/api/v1/inboxes', { name: 'Website chat', channel: 'chat', config: {} })
  assert.equal(chat.status, 201, JSON.stringify(chat.body))
  const reply = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'Let us continue in chat', inboxId: chat.body.id })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.channel, 'chat')
  // The contact has no chat visitor to reach: the chat adapter's refusal is recorded on the message, not thrown at the agent.
  const failed = await waitForDelivery(ws, c.id, reply.body.id, ['sent', 'failed'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.match(failed.deliveryError, /^NO_RECIPIENT: /)
  const conv = (await ws.get(`/api/v1/conversations/${c.id}`)).body
  assert.equal(conv.channel, 'chat')
  assert.equal(conv.inboxId, c.inboxId, 'the inbox of origin stays')

  const timeline = await ws.get(`/api/v1/conversations/${c.id}/timeline`)
  assert.equal(timeline.status, 200)
  const shape = timeline.body.items.map((i: { kind: string; event?: { type: string }; message?: { channel: string } }) =>
    i.kind === 'event' ? i.event!.type : `message:${i.message!.channel}`,
  )
  assert.deepEqual(shape, ['message:api', 'conversation.channel-switched', 'message:chat'])
  const switched = timeline.body.items[1].event
  assert.deepEqual(switched.payload, { from: 'api', to: 'chat', inboxId: chat.body.id, by: 'user' })
  assert.equal(switched.actor.id, ws.adminUserId)
  // Later replies stay on the new channel without naming it again.
  assert.equal((await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'again' })).body.channel, 'chat')
})

test('API ingress is idempotent on providerMessageId', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  const body = { contact: { email: 'ada@example.com' }, text: 'Any news?', providerMessageId: 'ext-1', conversationId: c.id }
  const first = await ws.post(`/api/v1/inboxes/${c.inboxId}/messages`, body)
  assert.equal(first.status, 201, JSON.stringify(first.body))
  assert.equal(first.body.duplicate, false)
  assert.equal(first.body.conversation.id, c.id)
  assert.equal(first.body.message.providerMessageId, 'ext-1')
  const again = await ws.post(`/api/v1/inboxes/${c.inboxId}/messages`, body)
  assert.equal(again.status, 200)
  assert.equal(again.body.duplicate, true)
  assert.equal(again.body.message.id, first.body.message.id)
  assert.equal(await countRows(t, 'messages', ws.workspaceId), 2)
  assert.equal((await eventsOf(t, c.id)).filter((e) => e.type === 'message.received').length, 2, 'the repeat wrote no event')

  const fresh = await ws.post(`/api/v1/inboxes/${c.inboxId}/messages`, { contact: { email: 'new@example.com' }, text: 'Hello', providerMessageId: 'ext-2' })
  assert.equal(fresh.status, 201)
  assert.notEqual(fresh.body.conversation.id, c.id, 'without conversationId a new conversation opens')
  assert.equal((await ws.post(`/api/v1/inboxes/${c.inboxId}/messages`, { ...body, conversationId: '00000000-0000-4000-8000-000000000000', providerMessageId: 'ext-3' })).status, 404)
})

test('a customer reply reopens a solved case, wakes a pending one, and follows up a closed one', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  const send = (conversationId: string, text: string) => ws.post(`/api/v1/inboxes/${c.inboxId}/messages`, { contact: { email: 'ada@example.com' }, conversationId, text })

  await ws.patch(`/api/v1/conversations/${c.id}`, { status: 'pending' })
  assert.equal((await send(c.id, 'here you go')).body.conversation.status, 'open')

  await ws.patch(`/api/v1/conversations/${c.id}`, { status: 'solved' })
  const reopened = await send(c.id, 'It is burning again')
  assert.equal(reopened.status, 201)
  assert.equal(reopened.body.conversation.status, 'open')
  assert.equal(reopened.body.conversation.reopenCount, 1)
  assert.ok(reopened.body.conversation.reopenedAt)
  const timeline = (await ws.get(`/api/v1/conversations/${c.id}/timeline`)).body.items
  assert.ok(timeline.some((i: { kind: string; event?: { type: string } }) => i.kind === 'event' && i.event!.type === 'conversation.reopened'))

  await ws.patch(`/api/v1/conversations/${c.id}`, { status: 'solved' })
  await ws.patch(`/api/v1/conversations/${c.id}`, { status: 'closed' })
  const followUp = await send(c.id, 'One more thing')
  assert.equal(followUp.status, 201)
  assert.notEqual(followUp.body.conversation.id, c.id)
  assert.equal(followUp.body.conversation.status, 'open')
  assert.equal(followUp.body.message.metadata.followUpOf, c.id)
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.status, 'closed')
  assert.equal((await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'too late' })).status, 422)
})

test('API ingress accepts only API-channel inboxes', async () => {
  const ws = await t.workspace()
  const chat = await ws.post('/api/v1/inboxes', { name: 'Chat', channel: 'chat', config: {} })
  assert.equal(chat.status, 201, JSON.stringify(chat.body))
  const res = await ws.post(`/api/v1/inboxes/${chat.body.id}/messages`, { contact: { name: 'X' }, text: 'hi' })
  assert.equal(res.status, 422)
  assert.equal((await ws.post('/api/v1/inboxes/00000000-0000-4000-8000-000000000000/messages', { contact: { name: 'X' }, text: 'hi' })).status, 404)
})

test('attachments are stored and downloaded as attachments; limits are enforced', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  const pdf = Buffer.from('%PDF-1.4 fake invoice')
  const res = await ws.post(`/api/v1/conversations/${c.id}/messages`, {
    text: 'Your invoice',
    attachments: [{ filename: 'invoice été.pdf', contentType: 'application/pdf', dataBase64: pdf.toString('base64') }],
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const [file] = res.body.attachments
  assert.deepEqual({ filename: file.filename, contentType: file.contentType, size: file.size }, { filename: 'invoice été.pdf', contentType: 'application/pdf', size: pdf.length })
  const url = `/api/v1/conversations/${c.id}/messages/${res.body.id}/attachments/${file.id}`
  const download = await ws.get(url)
  assert.equal(download.status, 200)
  assert.equal(download.headers['content-type'], 'application/pdf')
  assert.match(String(download.headers['content-disposition']), /^attachment; filename="invoice _t_.pdf"; filename\*=UTF-8''invoice%20%C3%A9t%C3%A9.pdf$/)
  assert.deepEqual(download.raw.rawPayload, pdf)
  const other = await openConversation(ws)
  assert.equal((await ws.get(`/api/v1/conversations/${other.id}/messages/${res.body.id}/attachments/${file.id}`)).status, 404, 'only through its own conversation')

  const one = { filename: 'a.txt', contentType: 'text/plain', dataBase64: Buffer.from('a').toString('base64') }
  const tooMany = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'x', attachments: Array.from({ length: 11 }, () => one) })
  assert.equal(tooMany.status, 400)
  const big = await ws.post(`/api/v1/conversations/${c.id}/messages`, {
    text: 'x',
    attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', dataBase64: Buffer.alloc(10 * 1024 * 1024 + 1).toString('base64') }],
  })
  assert.equal(big.status, 413)
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}/messages`)).body.items.length, 2, 'refused replies wrote nothing')
})

test('the timeline pages in order without gaps', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  for (const status of ['pending', 'open', 'on_hold']) {
    await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: `now ${status}` })
    await ws.patch(`/api/v1/conversations/${c.id}`, { status })
  }
  const all = (await ws.get(`/api/v1/conversations/${c.id}/timeline`)).body.items
  assert.equal(all.length, 7)
  const paged = []
  let cursor: string | null = null
  do {
    const res = await ws.get(`/api/v1/conversations/${c.id}/timeline?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200)
    paged.push(...res.body.items)
    cursor = res.body.nextCursor
  } while (cursor)
  assert.deepEqual(paged, all)
  const ats = all.map((i: { at: string }) => i.at)
  assert.deepEqual(ats, [...ats].sort())
})
