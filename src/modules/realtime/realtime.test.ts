import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import cookie from '@fastify/cookie'
import websocket from '@fastify/websocket'
import Fastify from 'fastify'
import WebSocket from 'ws'
import { useTestApp } from '../../../test/harness.ts'
import { systemActor } from '../../platform/auth/actor.ts'
import { appendEvent } from '../../platform/events/events.ts'
import { createRealtimeModule } from './index.ts'

// Real WebSocket clients against a listening app whose event dispatcher runs.
const t = await useTestApp()
await t.omnidesk.start({ jobs: false })
await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const urlOf = (app: { server: { address(): unknown } }) => `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/realtime`
const url = urlOf(t.omnidesk.app)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames are arbitrary JSON
type Frame = any

/** A client that records every frame, so tests can wait for one or assert none came. */
function connect(target = url, headers: Record<string, string> = {}, opts: { autoPong?: boolean } = {}) {
  const ws = new WebSocket(target, { headers, ...opts })
  const frames: Frame[] = []
  let seen = 0
  const waiters = new Set<() => void>()
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()))
    for (const w of waiters) w()
  })
  const closing = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  ws.on('error', () => {}) // a refused or dropped socket shows as `closed`
  const opened = once(ws, 'open')
  return {
    ws,
    frames,
    /** How the server closed the socket. Gives up after 10 s so a failure does not hang. */
    closed: () =>
      Promise.race([
        closing,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still open; got ${JSON.stringify(frames)}`)), 10_000).unref()),
      ]),
    send: async (frame: unknown) => {
      await opened
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
    },
    /** The next frame (after those already taken) matching `pred`. Gives up after 10 s so a failure does not hang. */
    async next(pred: (f: Frame) => boolean = () => true, what = 'a frame'): Promise<Frame> {
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
          void closing.then(w)
        })
        if (ws.readyState === WebSocket.CLOSED && !frames.slice(seen).some(pred)) throw new Error(`closed before ${what}; got ${JSON.stringify(frames)}`)
      }
    },
  }
}
type TestSocket = ReturnType<typeof connect>
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** Authenticated, subscribed, and the subscription acknowledged. */
async function subscribed(token: string, topics: string[]): Promise<TestSocket> {
  const c = connect(url, bearer(token))
  await c.next((f) => f.type === 'ready', 'ready')
  await c.send({ type: 'subscribe', topics })
  await c.next((f) => f.type === 'subscribed', 'subscribed')
  return c
}

/** A round trip: every frame the server sent before it has arrived. */
async function barrier(c: TestSocket) {
  await c.send({ type: 'ping' })
  await c.next((f) => f.type === 'pong', 'pong')
}

const openConversation = async (ws: Awaited<ReturnType<typeof t.workspace>>, text = 'My printer is on fire.') => {
  const res = await ws.post('/api/v1/conversations', { contact: { name: 'Ada', email: 'ada@example.com' }, message: { text } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body as { id: string; contactId: string }
}

test('without credentials the socket is closed with 4401; a token in the query string is not accepted', async () => {
  const ws = await t.workspace()
  const none = connect()
  await none.send({ type: 'subscribe', topics: ['conversations'] })
  const c1 = await none.closed()
  assert.equal(c1.code, 4401)
  assert.match(c1.reason, /auth/i)

  const badToken = connect(url, bearer('not-a-token'))
  assert.equal((await badToken.closed()).code, 4401)
  const badHeader = connect(url, { authorization: 'Basic abc' })
  assert.equal((await badHeader.closed()).code, 4401)
  const badFrameToken = connect()
  await badFrameToken.send({ type: 'auth', token: 'not-a-token' })
  assert.equal((await badFrameToken.closed()).code, 4401)

  const inQuery = connect(`${url}?token=${ws.token}&access_token=${ws.token}`)
  await inQuery.send({ type: 'ping' })
  assert.equal((await inQuery.closed()).code, 4401)
  for (const c of [none, badToken, badHeader, badFrameToken, inQuery]) assert.equal(c.frames.some((f) => f.type === 'ready'), false)
})

test('auth by the Authorization header, by the session cookie, and by a first auth frame', async () => {
  const ws = await t.workspace()
  const byHeader = connect(url, bearer(ws.token))
  assert.deepEqual(await byHeader.next(), { type: 'ready', workspaceId: ws.workspaceId })

  const byFrame = connect()
  await byFrame.send({ type: 'auth', token: ws.token })
  assert.deepEqual(await byFrame.next(), { type: 'ready', workspaceId: ws.workspaceId })
  await byFrame.send({ type: 'auth', token: ws.token })
  assert.equal((await byFrame.next()).type, 'error', 'a second auth frame is a bad frame')

  const created = await t.admin.post('/api/v1/workspaces', { name: 'Cookie Co', admin: { email: 'cookie@example.com', name: 'C', password: 'correct horse battery' } })
  assert.equal(created.status, 201)
  const login = await t.admin.post('/api/v1/auth/login', { email: 'cookie@example.com', password: 'correct horse battery' })
  assert.equal(login.status, 200, JSON.stringify(login.body))
  const sessionCookie = String(login.headers['set-cookie']).split(';')[0] as string
  const byCookie = connect(url, { cookie: sessionCookie })
  assert.deepEqual(await byCookie.next(), { type: 'ready', workspaceId: created.body.workspace.id })
  // Another site's page cannot ride on the browser's cookie.
  const crossSite = connect(url, { cookie: sessionCookie, origin: 'https://evil.example' })
  await crossSite.send({ type: 'ping' })
  assert.equal((await crossSite.closed()).code, 4401)

  for (const c of [byHeader, byFrame, byCookie]) c.ws.close()
})

test('a subscribed client receives conversation events once committed, and only for its topics', async () => {
  const ws = await t.workspace()
  const all = await subscribed(ws.token, ['conversations'])
  const c = await openConversation(ws)
  const created = await all.next((f) => f.type === 'event', 'conversation.created')
  assert.equal(created.event.type, 'conversation.created')
  const received = await all.next((f) => f.type === 'event', 'message.received')
  assert.equal(received.event.type, 'message.received')
  assert.equal(received.event.conversationId, c.id)
  assert.equal(received.event.contactId, c.contactId)
  assert.deepEqual(Object.keys(received.event).sort(), ['actor', 'contactId', 'conversationId', 'createdAt', 'id', 'payload', 'type'])
  assert.equal(typeof received.event.payload.messageId, 'string')
  assert.ok(BigInt(received.event.id) > BigInt(created.event.id), 'in outbox order')
  const row = await t.database.db.selectFrom('events').select(['type', 'dispatched_at']).where('id', '=', received.event.id).executeTakeFirstOrThrow()
  assert.equal(row.type, 'message.received')

  // One conversation's topic: its events only; events without a conversation never go out.
  const other = await openConversation(ws, 'another')
  const one = await subscribed(ws.token, [`conversation:${c.id.toUpperCase()}`])
  const note = await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'internal', private: true })
  assert.equal(note.status, 201, JSON.stringify(note.body))
  const got = await one.next((f) => f.type === 'event', 'the note event')
  assert.equal(got.event.conversationId, c.id)
  await ws.post(`/api/v1/conversations/${other.id}/messages`, { text: 'elsewhere', private: true })
  await ws.post('/api/v1/teams', { name: 'Night shift' })
  const elsewhere = await all.next((f) => f.type === 'event' && f.event.conversationId === other.id && f.event.type === 'message.created', 'the other note')
  assert.ok(elsewhere)
  await barrier(one)
  assert.deepEqual(
    one.frames.filter((f) => f.type === 'event').map((f) => f.event.conversationId),
    one.frames.filter((f) => f.type === 'event').map(() => c.id),
    'only the subscribed conversation',
  )

  await one.send({ type: 'unsubscribe', topics: [`conversation:${c.id}`] })
  assert.deepEqual((await one.next((f) => f.type === 'subscribed')).topics, [])
  const before = one.frames.length
  await ws.post(`/api/v1/conversations/${c.id}/messages`, { text: 'after unsubscribe', private: true })
  await all.next((f) => f.type === 'event' && f.event.conversationId === c.id && BigInt(f.event.id) > BigInt(got.event.id), 'the later note')
  await barrier(one)
  assert.equal(one.frames.slice(before).filter((f) => f.type === 'event').length, 0)
  all.ws.close()
  one.ws.close()
})

test('the agents topic carries presence changes of the workspace agents, and nothing of another workspace', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const board = await subscribed(ws.token, ['agents'])
  const elsewhere = await subscribed(other.token, ['agents', 'conversations'])
  const agent = await ws.post('/api/v1/users', { email: 'presence@example.test', name: 'Pia', role: 'agent' })
  assert.equal(agent.status, 201, JSON.stringify(agent.body))
  const set = await ws.put(`/api/v1/users/${agent.body.id}/presence`, { status: 'away', reason: 'lunch' })
  assert.equal(set.status, 200, JSON.stringify(set.body))
  const got = await board.next((f) => f.type === 'event' && f.event.type === 'agent.presence-changed', 'agent.presence-changed')
  assert.equal(got.event.payload.userId, agent.body.id)
  assert.equal(got.event.payload.to, 'away')
  // Conversation events are not on the agents topic.
  await openConversation(ws)
  await barrier(board)
  assert.ok(board.frames.filter((f) => f.type === 'event').every((f) => f.event.type.startsWith('agent.')))
  await barrier(elsewhere)
  assert.equal(elsewhere.frames.filter((f) => f.type === 'event').length, 0)
  board.ws.close()
  elsewhere.ws.close()
})

test('only committed events of its own workspace reach a client: a rolled-back transaction sends nothing', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const c = await subscribed(ws.token, ['conversations'])
  const actor = systemActor(ws.workspaceId, 'realtime test')
  const conversationId = randomUUID()
  // Another workspace naming the very same conversation id.
  const stranger = await subscribed(other.token, ['conversations', `conversation:${conversationId}`])
  await assert.rejects(
    t.omnidesk.platform.tx(actor, async (trx) => {
      await appendEvent(trx, actor, { type: 'test.rolled-back', conversationId })
      throw new Error('boom')
    }),
    /boom/,
  )
  await t.omnidesk.platform.tx(actor, (trx) => appendEvent(trx, actor, { type: 'test.committed', conversationId, payload: { n: 1 } }))
  const { id } = await t.database.db.selectFrom('events').select('id').where('workspace_id', '=', ws.workspaceId).where('type', '=', 'test.committed').executeTakeFirstOrThrow()
  // Delivery is in outbox order, so a leaked rolled-back event would come first.
  const got = await c.next((f) => f.type === 'event', 'the committed event')
  assert.deepEqual(got.event, {
    id,
    type: 'test.committed',
    conversationId,
    contactId: null,
    actor: { type: 'system', id: null, label: 'realtime test' },
    payload: { n: 1 },
    createdAt: got.event.createdAt,
  })
  assert.ok(!Number.isNaN(Date.parse(got.event.createdAt)))
  await barrier(c)
  assert.deepEqual(c.frames.filter((f) => f.type === 'event').map((f) => f.event.type), ['test.committed'])
  await barrier(stranger)
  assert.deepEqual(stranger.frames.filter((f) => f.type === 'event'), [])
  c.ws.close()
  stranger.ws.close()
})

test('a client of another workspace receives nothing, not even for a conversation id it names', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const first = await openConversation(a)
  const clientA = await subscribed(a.token, ['conversations'])
  const clientB = await subscribed(b.token, ['conversations', `conversation:${first.id}`])
  const second = await openConversation(a)
  await a.post(`/api/v1/conversations/${first.id}/messages`, { text: 'note', private: true })
  await clientA.next((f) => f.type === 'event' && f.event.conversationId === second.id, 'A’s event')
  await clientA.next((f) => f.type === 'event' && f.event.conversationId === first.id, 'A’s note')
  await barrier(clientB)
  assert.deepEqual(clientB.frames.filter((f) => f.type === 'event'), [])
  clientA.ws.close()
  clientB.ws.close()
})

test('bad frames get an error frame and the socket stays open', async () => {
  const ws = await t.workspace()
  const c = connect(url, bearer(ws.token))
  await c.next((f) => f.type === 'ready')
  const cases: Array<[string | Buffer, string]> = [
    ['{not json', 'INVALID_JSON'],
    ['"a string"', 'VALIDATION_FAILED'],
    ['null', 'VALIDATION_FAILED'],
    [JSON.stringify({ type: 'shout' }), 'VALIDATION_FAILED'],
    [JSON.stringify({ type: 'subscribe', topics: ['everything'] }), 'VALIDATION_FAILED'],
    [JSON.stringify({ type: 'subscribe', topics: ['conversation:not-a-uuid'] }), 'VALIDATION_FAILED'],
    [JSON.stringify({ type: 'subscribe', topics: [] }), 'VALIDATION_FAILED'],
    [JSON.stringify({ type: 'subscribe', topics: ['conversations'], extra: 1 }), 'VALIDATION_FAILED'],
    [Buffer.from([1, 2, 3]), 'VALIDATION_FAILED'],
  ]
  for (const [frame, code] of cases) {
    await c.send(frame)
    const err = await c.next(() => true, `the error for ${String(frame)}`)
    assert.equal(err.type, 'error', String(frame))
    assert.equal(err.code, code, String(frame))
    assert.ok(err.message)
  }
  const topicErr = c.frames.find((f) => f.type === 'error' && f.details?.[0]?.field === 'frame.topics.0')
  assert.ok(topicErr, 'a bad topic names the field')

  // At most 100 topics per connection.
  const ids = Array.from({ length: 100 }, (_, i) => `conversation:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
  await c.send({ type: 'subscribe', topics: ids })
  assert.equal((await c.next()).topics.length, 100)
  await c.send({ type: 'subscribe', topics: ['conversations'] })
  const tooMany = await c.next()
  assert.equal(tooMany.type, 'error')
  assert.equal(tooMany.code, 'UNPROCESSABLE')
  await c.send({ type: 'subscribe', topics: [ids[0]] })
  assert.equal((await c.next()).topics.length, 100, 're-subscribing to a held topic is fine')

  await barrier(c)
  assert.equal(c.ws.readyState, WebSocket.OPEN)
  c.ws.close()
})

test('heartbeat drops a dead client; the auth frame has a deadline; revoked credentials close the socket', async () => {
  // A second app on the same platform with short timers (the defaults are 5 s and 30 s). The heartbeat
  // leaves a pong 500 ms: on a loaded CI machine the event loop alone can lag 100 ms.
  const realtime = createRealtimeModule(t.omnidesk.platform, { authenticate: t.omnidesk.services.auth.authenticate }, { authTimeoutMs: 200, heartbeatMs: 500 })
  const app = Fastify()
  await app.register(cookie)
  await app.register(websocket)
  await app.register(realtime.routes!, { prefix: '/api/v1' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  after(() => app.close())
  const shortUrl = urlOf(app)
  const ws = await t.workspace()

  const silent = connect(shortUrl)
  const late = await silent.closed()
  assert.equal(late.code, 4401)
  assert.match(late.reason, /within/)

  const dead = connect(shortUrl, bearer(ws.token), { autoPong: false })
  await dead.next((f) => f.type === 'ready')
  assert.equal((await dead.closed()).code, 1006, 'terminated without a close frame')

  const alive = connect(shortUrl, bearer(ws.token))
  let pings = 0
  alive.ws.on('ping', () => pings++)
  await alive.next((f) => f.type === 'ready')
  const token = await ws.post('/api/v1/tokens', { name: 'short-lived' })
  assert.equal(token.status, 201, JSON.stringify(token.body))
  const revocable = connect(shortUrl, bearer(token.body.secret))
  await revocable.next((f) => f.type === 'ready')
  assert.equal((await ws.delete(`/api/v1/tokens/${token.body.token.id}`)).status, 200)
  const revoked = await revocable.closed()
  assert.equal(revoked.code, 4401)
  assert.match(revoked.reason, /revoked/)
  // A client that answers pings (ws does by default) outlives several heartbeats.
  for (let i = 0; i < 200 && pings < 3; i++) await new Promise((r) => setTimeout(r, 50))
  assert.ok(pings >= 3, `saw ${pings} pings`)
  await barrier(alive)
  assert.equal(alive.ws.readyState, WebSocket.OPEN)
  alive.ws.close()
})
