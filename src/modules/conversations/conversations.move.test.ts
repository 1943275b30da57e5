import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Client, useTestApp } from '../../../test/harness.ts'
import { member, openConversation } from './test-helpers.ts'

const t = await useTestApp()

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON

const messagesOf = async (ws: Client, id: string): Promise<Json[]> => (await ws.get(`/api/v1/conversations/${id}/messages`)).body.items
const movedEvents = async (ws: Client, id: string): Promise<Json[]> =>
  (await ws.get(`/api/v1/conversations/${id}/timeline?limit=200`)).body.items.filter((i: Json) => i.kind === 'event' && i.event.type === 'message.moved').map((i: Json) => i.event.payload)

/** A note with one attachment on the conversation (notes are never delivered, so nothing leaves). */
async function noteWithFile(ws: Client, conversationId: string): Promise<Json> {
  const res = await ws.post(`/api/v1/conversations/${conversationId}/messages`, {
    text: 'the log file',
    private: true,
    attachments: [{ filename: 'log.txt', contentType: 'text/plain', dataBase64: Buffer.from('line 1\nline 2\n').toString('base64') }],
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

test('an agent moves a message with its attachment into another conversation; both timelines and the audit log show it', async () => {
  const ws = await t.workspace()
  const a = await openConversation(ws)
  const b = await openConversation(ws, { contact: { name: 'Bob', email: 'bob@example.com' }, subject: 'Other' })
  const note = await noteWithFile(ws, a.id)
  const file = note.attachments[0]

  const res = await ws.post(`/api/v1/conversations/${a.id}/messages/${note.id}/move`, { conversationId: b.id })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.id, note.id)
  assert.equal(res.body.conversationId, b.id)
  assert.deepEqual(res.body.attachments, note.attachments)

  assert.deepEqual((await messagesOf(ws, a.id)).map((m) => m.text), ['My printer is on fire.'])
  assert.deepEqual((await messagesOf(ws, b.id)).map((m) => m.text), ['My printer is on fire.', 'the log file'])
  const download = await ws.get(`/api/v1/conversations/${b.id}/messages/${note.id}/attachments/${file.id}`)
  assert.equal(download.status, 200)
  assert.equal(download.raw.body, 'line 1\nline 2\n')
  assert.equal((await ws.get(`/api/v1/conversations/${a.id}/messages/${note.id}/attachments/${file.id}`)).status, 404, 'no longer under the old conversation')

  for (const id of [a.id, b.id]) {
    const [moved] = await movedEvents(ws, id)
    assert.deepEqual(moved, { messageId: note.id, fromConversationId: a.id, toConversationId: b.id, split: false, contactChanged: true, attachments: 1 }, id)
  }
  const audit = (await ws.get(`/api/v1/audit-events?action=message.moved&entityId=${note.id}`)).body.items
  assert.equal(audit.length, 1)
  assert.equal(audit[0].changes.before.conversationId, a.id)
  assert.equal(audit[0].changes.after.conversationId, b.id)
  assert.equal(audit[0].changes.contactChanged, true)
})

test('moving into the same or a closed conversation is refused with a clear 422', async () => {
  const ws = await t.workspace()
  const a = await openConversation(ws)
  const b = await openConversation(ws, { subject: 'Closed one' })
  const [msg] = await messagesOf(ws, a.id)
  const same = await ws.post(`/api/v1/conversations/${a.id}/messages/${msg?.id}/move`, { conversationId: a.id })
  assert.equal(same.status, 422)
  assert.match(same.body.error.message, /already in conversation #\d+/)
  for (const status of ['solved', 'closed']) await ws.patch(`/api/v1/conversations/${b.id}`, { status })
  const closed = await ws.post(`/api/v1/conversations/${a.id}/messages/${msg?.id}/move`, { conversationId: b.id })
  assert.equal(closed.status, 422)
  assert.match(closed.body.error.message, /is closed and takes no more messages/)
  assert.equal((await ws.post(`/api/v1/conversations/${a.id}/messages/${msg?.id}/move`, {})).status, 400, 'conversationId is required')

  // A reply still on its way stays where it is: delivery reads its conversation's contact. This file
  // does not start background work, so the reply stays queued.
  const reply = await ws.post(`/api/v1/conversations/${a.id}/messages`, { text: 'We are on it.' })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.deliveryStatus, 'queued')
  const inFlight = await ws.post(`/api/v1/conversations/${a.id}/messages/${reply.body.id}/split`)
  assert.equal(inFlight.status, 422)
  assert.match(inFlight.body.error.message, /still being delivered \(queued\)/)
  assert.equal((await messagesOf(ws, a.id)).length, 2, 'nothing moved')
})

test('split opens a new conversation for the message; an Idempotency-Key retry replays it', async () => {
  const ws = await t.workspace()
  const a = await openConversation(ws, { priority: 'high' })
  const second = await ws.post(`/api/v1/inboxes/${a.inboxId}/messages`, { contact: { email: 'ada@example.com' }, conversationId: a.id, text: 'Also, my scanner.' })
  assert.equal(second.status, 201, JSON.stringify(second.body))
  const messageId = second.body.message.id as string
  const split = () => ws.post(`/api/v1/conversations/${a.id}/messages/${messageId}/split`, { subject: 'Scanner' }, { 'idempotency-key': `split-${messageId}` })

  const res = await split()
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const created = res.body
  assert.notEqual(created.id, a.id)
  assert.equal(created.subject, 'Scanner')
  assert.equal(created.contactId, a.contactId)
  assert.equal(created.inboxId, a.inboxId)
  assert.equal(created.priority, 'high')
  assert.equal(created.status, 'open')
  assert.ok(created.lastCustomerMessageAt, 'activity follows the message')
  assert.deepEqual((await messagesOf(ws, created.id)).map((m) => m.id), [messageId])
  assert.deepEqual((await messagesOf(ws, a.id)).map((m) => m.text), ['My printer is on fire.'])
  for (const id of [a.id, created.id]) assert.deepEqual((await movedEvents(ws, id)).map((p) => [p.toConversationId, p.split, p.contactChanged]), [[created.id, true, false]], id)

  const replay = await split()
  assert.equal(replay.status, 201)
  assert.equal(replay.headers['idempotent-replayed'], 'true')
  assert.equal(replay.body.id, created.id)
  assert.equal((await ws.get('/api/v1/conversations')).body.items.length, 2, 'one split, not two')

  // The only message left cannot be split from its conversation.
  const [last] = await messagesOf(ws, a.id)
  const lone = await ws.post(`/api/v1/conversations/${a.id}/messages/${last?.id}/split`)
  assert.equal(lone.status, 422)
  assert.match(lone.body.error.message, /only one of conversation #\d+/)
})

test('another workspace’s conversations and messages are 404; an auditor may not move', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const a = await openConversation(ws)
  const b = await openConversation(ws, { subject: 'B' })
  const x = await openConversation(other)
  const [mine] = await messagesOf(ws, a.id)
  const [theirs] = await messagesOf(other, x.id)

  assert.equal((await other.post(`/api/v1/conversations/${a.id}/messages/${mine?.id}/move`, { conversationId: x.id })).status, 404, 'their source')
  assert.equal((await ws.post(`/api/v1/conversations/${a.id}/messages/${mine?.id}/move`, { conversationId: x.id })).status, 404, 'their target')
  assert.equal((await ws.post(`/api/v1/conversations/${a.id}/messages/${theirs?.id}/move`, { conversationId: b.id })).status, 404, 'their message')
  assert.equal((await ws.post(`/api/v1/conversations/${x.id}/messages/${theirs?.id}/move`, { conversationId: x.id })).status, 404, 'their ids only')
  assert.equal((await ws.post(`/api/v1/conversations/${b.id}/messages/${mine?.id}/move`, { conversationId: a.id })).status, 404, 'a message of another conversation')
  assert.equal((await other.post(`/api/v1/conversations/${a.id}/messages/${mine?.id}/split`)).status, 404)
  assert.equal((await messagesOf(ws, a.id)).length, 1)
  assert.equal((await messagesOf(other, x.id)).length, 1)

  const auditor = await member(ws, 'auditor')
  assert.equal((await auditor.client.post(`/api/v1/conversations/${a.id}/messages/${mine?.id}/move`, { conversationId: b.id })).status, 403)
  assert.equal((await auditor.client.post(`/api/v1/conversations/${a.id}/messages/${mine?.id}/split`)).status, 403)
})

test('the move and split endpoints are in the OpenAPI document with their schemas', async () => {
  const doc = (await t.admin.get('/api/openapi.json')).body
  const move = doc.paths['/api/v1/conversations/{id}/messages/{messageId}/move']?.post
  const split = doc.paths['/api/v1/conversations/{id}/messages/{messageId}/split']?.post
  assert.ok(move && split, Object.keys(doc.paths).filter((p) => p.includes('messageId')).join(', '))
  assert.ok(JSON.stringify(move.requestBody).includes('conversationId'))
  assert.ok(move.responses['200'] && split.responses['201'])
})
