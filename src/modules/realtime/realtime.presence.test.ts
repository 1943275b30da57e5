import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import cookie from '@fastify/cookie'
import websocket from '@fastify/websocket'
import Fastify from 'fastify'
import WebSocket from 'ws'
import { useTestApp } from '../../../test/harness.ts'
import { openConversation } from '../conversations/test-helpers.ts'
import { createRealtimeModule } from './index.ts'

// Collision detection over real WebSocket clients.
const t = await useTestApp()
await t.omnidesk.start({ jobs: false })
await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const urlOf = (app: { server: { address(): unknown } }) => `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/realtime`
const mainUrl = urlOf(t.omnidesk.app)

// A second endpoint on the same platform with short expiry (the defaults are 15 s and 6 s).
const short = createRealtimeModule(
  t.omnidesk.platform,
  { authenticate: t.omnidesk.services.auth.authenticate, describeUser: async (a) => (await t.omnidesk.services.users.get(a, a.userId as string)).name },
  { viewingTtlMs: 600, typingTtlMs: 300 },
)
const shortApp = Fastify()
await shortApp.register(cookie)
await shortApp.register(websocket)
await shortApp.register(short.routes, { prefix: '/api/v1' })
await shortApp.listen({ port: 0, host: '127.0.0.1' })
after(async () => {
  short.close()
  await shortApp.close()
})
const shortUrl = urlOf(shortApp)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames are arbitrary JSON
type Frame = any

function client(url: string, token: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
  const frames: Frame[] = []
  let seen = 0
  const waiters = new Set<() => void>()
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()))
    for (const w of waiters) w()
  })
  ws.on('error', () => {})
  const opened = once(ws, 'open')
  const c = {
    ws,
    frames,
    send: async (f: unknown) => {
      await opened
      ws.send(JSON.stringify(f))
    },
    async next(pred: (f: Frame) => boolean, what: string): Promise<Frame> {
      for (;;) {
        const i = frames.findIndex((f, idx) => idx >= seen && pred(f))
        if (i >= 0) {
          seen = i + 1
          return frames[i]
        }
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${what}; got ${JSON.stringify(frames)}`)), 10_000)
          const w = () => {
            clearTimeout(timer)
            waiters.delete(w)
            resolve()
          }
          waiters.add(w)
        })
      }
    },
    async ready(topics: string[] = []) {
      await c.next((f) => f.type === 'ready', 'ready')
      if (topics.length) {
        await c.send({ type: 'subscribe', topics })
        await c.next((f) => f.type === 'subscribed', 'subscribed')
      }
      return c
    },
    async barrier() {
      await c.send({ type: 'ping' })
      await c.next((f) => f.type === 'pong', 'pong')
    },
  }
  return c
}
const presenceOf = (conversationId: string, users: (u: Frame[]) => boolean) => (f: Frame) => f.type === 'presence' && f.conversationId === conversationId && users(f.users)

async function named(ws: Awaited<ReturnType<typeof t.workspace>>, name: string) {
  const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@example.com`
  const user = await ws.post('/api/v1/users', { email, name, role: 'agent' })
  assert.equal(user.status, 201, JSON.stringify(user.body))
  const token = await ws.post('/api/v1/tokens', { name, userId: user.body.id })
  return { id: user.body.id as string, token: token.body.secret as string }
}

test('viewing and typing reach the others on the conversation, with names, and expire without refresh', async () => {
  const ws = await t.workspace()
  const conv = await openConversation(ws)
  const ada = await named(ws, 'Ada')
  const bob = await named(ws, 'Bob')
  const observer = await client(shortUrl, bob.token).ready([`conversation:${conv.id}`])
  const viewer = await client(shortUrl, ada.token).ready()

  await viewer.send({ type: 'viewing', conversationId: conv.id })
  const seen = await observer.next(presenceOf(conv.id, (u) => u.length === 1), 'Ada viewing')
  assert.deepEqual(seen.users, [{ userId: ada.id, name: 'Ada', typing: false }])
  await viewer.send({ type: 'typing', conversationId: conv.id })
  await observer.next(presenceOf(conv.id, (u) => u[0]?.typing === true), 'Ada typing')
  // Without another typing frame, typing stops; without refresh, the viewer goes.
  await observer.next(presenceOf(conv.id, (u) => u.length === 1 && u[0].typing === false), 'typing expired')
  await observer.next(presenceOf(conv.id, (u) => u.length === 0), 'viewing expired')

  // Explicit left is immediate.
  await viewer.send({ type: 'viewing', conversationId: conv.id })
  await observer.next(presenceOf(conv.id, (u) => u.length === 1), 'Ada back')
  await viewer.send({ type: 'left', conversationId: conv.id })
  await observer.next(presenceOf(conv.id, (u) => u.length === 0), 'Ada left')
  observer.ws.close()
  viewer.ws.close()
})

test('a newcomer sees who is there on subscribing; a closed socket leaves at once; other workspaces see nothing', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const conv = await openConversation(ws)
  const ada = await named(ws, 'Ada')
  const viewer = await client(mainUrl, ada.token).ready()
  await viewer.send({ type: 'viewing', conversationId: conv.id })
  await viewer.barrier()

  const late = await client(mainUrl, ws.token).ready([`conversation:${conv.id}`])
  const first = await late.next((f) => f.type === 'presence', 'current presence on subscribe')
  assert.deepEqual(first.users.map((u: Frame) => u.name), ['Ada'])

  const stranger = await client(mainUrl, other.token).ready([`conversation:${conv.id}`, 'conversations'])
  const intruder = await named(other, 'Mallory')
  const fake = await client(mainUrl, intruder.token).ready()
  await fake.send({ type: 'viewing', conversationId: conv.id })
  await fake.barrier()

  viewer.ws.close()
  // The default expiry is 15 s: an empty list now comes from the close.
  await late.next(presenceOf(conv.id, (u) => u.length === 0), 'Ada gone with her socket')
  assert.equal(late.frames.some((f) => f.type === 'presence' && f.users.some((u: Frame) => u.name === 'Mallory')), false, 'another workspace’s viewer is not shown')
  await stranger.barrier()
  assert.deepEqual(stranger.frames.filter((f) => f.type === 'presence' && f.users.some((u: Frame) => u.name === 'Ada')), [])
  for (const c of [late, stranger, fake]) c.ws.close()
})

test('twelve connections of four users viewing at once are shown as four people', async () => {
  const ws = await t.workspace()
  const conv = await openConversation(ws)
  const people = await Promise.all(['Ann', 'Ben', 'Cat', 'Dan'].map((n) => named(ws, n)))
  const observer = await client(mainUrl, ws.token).ready([`conversation:${conv.id}`])
  const tabs = await Promise.all(Array.from({ length: 12 }, (_, i) => client(mainUrl, (people[i % 4] as { token: string }).token).ready()))
  await Promise.all(tabs.map((c, i) => c.send({ type: i % 3 === 0 ? 'typing' : 'viewing', conversationId: conv.id })))
  const all = await observer.next(presenceOf(conv.id, (u) => u.length === 4), 'four people')
  assert.deepEqual(all.users.map((u: Frame) => u.name), ['Ann', 'Ben', 'Cat', 'Dan'])
  // One of Ann's three tabs closing does not make her leave.
  tabs[0]?.ws.close()
  for (const c of tabs.slice(1)) await c.barrier()
  await observer.barrier()
  const last = observer.frames.filter((f) => f.type === 'presence').at(-1)
  assert.equal(last.users.length, 4)
  for (const c of tabs.slice(1)) c.ws.close()
  await observer.next(presenceOf(conv.id, (u) => u.length === 0), 'everyone gone')
  observer.ws.close()
  // A bad presence frame is an error frame, the socket stays.
  const bad = await client(mainUrl, ws.token).ready()
  await bad.send({ type: 'viewing', conversationId: 'nope' })
  assert.equal((await bad.next((f) => f.type === 'error', 'error')).code, 'VALIDATION_FAILED')
  bad.ws.close()
})
