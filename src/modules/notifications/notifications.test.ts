import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import WebSocket from 'ws'
import { type Client, useTestApp } from '../../../test/harness.ts'
import { openConversation } from '../conversations/test-helpers.ts'

// The event dispatcher runs (listeners create notifications); real WebSocket clients get them live.
const t = await useTestApp()
await t.omnidesk.start({ jobs: false })
await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const url = `ws://127.0.0.1:${(t.omnidesk.app.server.address() as AddressInfo).port}/api/v1/realtime`

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames are arbitrary JSON
type Frame = any

async function socket(token: string, topics: string[]) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
  const frames: Frame[] = []
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())))
  await once(ws, 'open')
  ws.send(JSON.stringify({ type: 'subscribe', topics }))
  await until(() => frames.some((f) => f.type === 'subscribed'), 'subscribed')
  return { ws, frames, events: (type: string) => frames.filter((f) => f.type === 'event' && f.event.type === type).map((f) => f.event) }
}

/** Waits (bounded) for something the dispatcher does after the commit; dispatcher.drain() settles everything before a negative check. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await sleep(50)
  }
  assert.fail(`timed out waiting for ${what}`)
}

async function user(ws: Awaited<ReturnType<typeof t.workspace>>, local: string, name: string, role = 'agent') {
  const email = `${local}@${ws.workspaceId.slice(0, 8)}.example.com`
  const u = await ws.post('/api/v1/users', { email, name, role })
  assert.equal(u.status, 201, JSON.stringify(u.body))
  const tok = await ws.post('/api/v1/tokens', { name, userId: u.body.id })
  return { id: u.body.id as string, email, token: tok.body.secret as string, client: ws.as(tok.body.secret) }
}
const list = async (c: Client, q = '') => (await c.get(`/api/v1/notifications${q}`)).body

test('a note mentioning @handle or @email notifies those users, live on their notifications topic only', async () => {
  const ws = await t.workspace()
  const ada = await user(ws, 'ada', 'Ada Lovelace')
  const bob = await user(ws, 'bob', 'Bob Builder')
  const cat = await user(ws, 'cat', 'Cat Stevens')
  const conv = await openConversation(ws, { subject: 'Printer on fire' })
  const adaLive = await socket(ada.token, ['notifications'])
  const catLive = await socket(cat.token, ['notifications', 'conversations'])

  const note = await bob.client.post(`/api/v1/conversations/${conv.id}/messages`, {
    text: `@ada can you check? cc @${cat.email}. Customer wrote from someone@example.com. Thanks @bob`,
    private: true,
  })
  assert.equal(note.status, 201, JSON.stringify(note.body))
  await until(() => adaLive.events('notification.created').length === 1, 'Ada’s live notification')
  const live = adaLive.events('notification.created')[0]
  assert.equal(live.payload.recipientUserId, ada.id)
  assert.equal(live.conversationId, null, 'not broadcast on the conversation topics')
  assert.equal(live.payload.notification.kind, 'mention')
  assert.equal(live.payload.notification.messageId, note.body.id)
  assert.equal(live.payload.notification.actorName, 'Bob Builder')
  assert.match(live.payload.notification.text, new RegExp(`^Bob Builder mentioned you on #${conv.number}: @ada can you check`))

  await until(async () => (await list(cat.client)).unreadCount === 1, 'Cat’s notification (by email)')
  const catEvents = catLive.events('notification.created')
  assert.equal(catEvents.length, 1, 'Cat sees her own notification only, not Ada’s, despite holding "conversations"')
  assert.equal(catEvents[0].payload.recipientUserId, cat.id)
  assert.equal((await list(bob.client)).items.length, 0, 'mentioning yourself notifies nobody')

  // A reply to the customer mentions nobody.
  await bob.client.post(`/api/v1/conversations/${conv.id}/messages`, { text: 'Hi @ada, on it' })
  await t.omnidesk.platform.dispatcher.drain()
  const ada1 = await list(ada.client)
  assert.equal(ada1.items.length, 1)
  assert.equal(ada1.unreadCount, 1)
  adaLive.ws.close()
  catLive.ws.close()
})

test('assignment notifies the assignee unless they took it themselves; read, read-all and unread counts', async () => {
  const ws = await t.workspace()
  const sup = await user(ws, 'sup', 'Sue Visor', 'supervisor')
  const dan = await user(ws, 'dan', 'Dan Agent')
  const c1 = await openConversation(ws, { subject: 'One' })
  const c2 = await openConversation(ws, { subject: 'Two' })
  const c3 = await openConversation(ws, { subject: 'Three' })
  assert.equal((await sup.client.patch(`/api/v1/conversations/${c1.id}`, { assigneeId: dan.id })).status, 200)
  assert.equal((await sup.client.patch(`/api/v1/conversations/${c2.id}`, { assigneeId: dan.id })).status, 200)
  assert.equal((await dan.client.patch(`/api/v1/conversations/${c3.id}`, { assigneeId: dan.id })).status, 200, 'takes it himself')
  await until(async () => (await list(dan.client)).items.length === 2, 'two assignment notifications')
  await t.omnidesk.platform.dispatcher.drain()
  const before = await list(dan.client)
  assert.equal(before.items.length, 2)
  assert.equal(before.unreadCount, 2)
  assert.deepEqual(before.items.map((n: Frame) => n.text), [`Sue Visor assigned #${c2.number} Two to you`, `Sue Visor assigned #${c1.number} One to you`])
  assert.deepEqual(before.items.map((n: Frame) => n.conversationId), [c2.id, c1.id])

  const danLive = await socket(dan.token, ['notifications'])
  const read = await dan.client.post(`/api/v1/notifications/${before.items[0].id}/read`)
  assert.equal(read.status, 200)
  assert.ok(read.body.readAt)
  assert.equal((await list(dan.client)).unreadCount, 1)
  assert.deepEqual((await list(dan.client, '?unread=true')).items.map((n: Frame) => n.id), [before.items[1].id])
  await until(() => danLive.events('notifications.read').length === 1, 'read event for other tabs')
  assert.equal(danLive.events('notifications.read')[0].payload.unreadCount, 1)

  // Someone else's notification is a 404.
  assert.equal((await sup.client.post(`/api/v1/notifications/${before.items[1].id}/read`)).status, 404)
  const all = await dan.client.post('/api/v1/notifications/read-all')
  assert.deepEqual(all.body, { marked: 1, unreadCount: 0 })
  assert.equal((await list(dan.client)).unreadCount, 0)
  const paged = await dan.client.get('/api/v1/notifications?limit=1')
  assert.equal(paged.body.items.length, 1)
  const next = await dan.client.get(`/api/v1/notifications?limit=1&cursor=${encodeURIComponent(paged.body.nextCursor)}`)
  assert.equal(next.body.items[0].id, before.items[1].id)
  danLive.ws.close()
})

test('another workspace cannot read or mark a notification (404) and is never notified across workspaces', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const ada = await user(a, 'ada', 'Ada')
  const conv = await openConversation(a)
  await a.patch(`/api/v1/conversations/${conv.id}`, { assigneeId: ada.id })
  await until(async () => (await list(ada.client)).items.length === 1, 'Ada notified')
  const id = (await list(ada.client)).items[0].id
  const res = await b.post(`/api/v1/notifications/${id}/read`)
  assert.equal(res.status, 404)
  assert.equal(res.body.error.code, 'NOT_FOUND')
  assert.deepEqual((await list(b)).items, [])
  // B's note mentioning Ada's handle and email reaches nobody in A.
  const bConv = await openConversation(b)
  await b.post(`/api/v1/conversations/${bConv.id}/messages`, { text: `@ada @${ada.email}`, private: true })
  await t.omnidesk.platform.dispatcher.drain()
  assert.equal((await list(ada.client)).items.length, 1)
})

test('sixteen notes mentioning the same person at once each notify once', async () => {
  const ws = await t.workspace()
  const ada = await user(ws, 'ada', 'Ada')
  const conv = await openConversation(ws)
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => ws.post(`/api/v1/conversations/${conv.id}/messages`, { text: `@ada ping ${i}`, private: true })))
  for (const r of results) assert.equal(r.status, 201)
  await until(async () => (await list(ada.client, '?limit=100')).items.length === 16, '16 notifications')
  await t.omnidesk.platform.dispatcher.drain()
  const got = await list(ada.client, '?limit=100')
  assert.equal(got.items.length, 16)
  assert.equal(new Set(got.items.map((n: Frame) => n.messageId)).size, 16)
})
