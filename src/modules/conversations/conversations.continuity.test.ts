import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { send, smtpClient, uniqueAddress } from '../../channels/email/test-helpers.ts'

/*
 * One case across channels (docs/channels/README.md, "Continuity"), through
 * HTTP and SMTP: a threadless message of a contact continues their open case
 * as the workspace's rule says, and the timeline shows the channel switch.
 */

const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON

async function apiInbox(ws: WorkspaceClient, name = 'Integration'): Promise<string> {
  const res = await ws.post('/api/v1/inboxes', { name, channel: 'api', config: {} })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id
}

async function emailInbox(ws: WorkspaceClient): Promise<string> {
  const address = uniqueAddress()
  const res = await ws.post('/api/v1/inboxes', { name: `Support ${address}`, channel: 'email', config: { address } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return address
}

async function inbound(ws: WorkspaceClient, inboxId: string, email: string, text: string, extra: Record<string, unknown> = {}): Promise<Json> {
  const res = await ws.post(`/api/v1/inboxes/${inboxId}/messages`, { contact: { email }, text, ...extra })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

/** The timeline's events (type, payload). */
const timeline = async (ws: WorkspaceClient, id: string): Promise<Json[]> =>
  ((await ws.get(`/api/v1/conversations/${id}/timeline?limit=200`)).body.items as Json[]).filter((i) => i.kind === 'event').map((i) => i.event)

test('the rule is a workspace setting: any_channel within 7 days by default, changed with PATCH, validated, per workspace', async () => {
  const ws = await t.workspace()
  assert.deepEqual((await ws.get('/api/v1/workspace')).body.continuity, { mode: 'any_channel', windowDays: 7 })
  const patched = await ws.patch('/api/v1/workspace', { continuity: { windowDays: 3 } })
  assert.equal(patched.status, 200, JSON.stringify(patched.body))
  assert.deepEqual(patched.body.continuity, { mode: 'any_channel', windowDays: 3 })
  assert.deepEqual((await ws.patch('/api/v1/workspace', { continuity: { mode: 'same_channel' } })).body.continuity, { mode: 'same_channel', windowDays: 3 })
  for (const bad of [{ mode: 'always' }, { windowDays: 0 }, { windowDays: 1.5 }, { other: 1 }]) {
    const res = await ws.patch('/api/v1/workspace', { continuity: bad })
    assert.equal(res.status, 400, JSON.stringify(bad))
  }
  // Another workspace keeps its own default.
  const other = await t.workspace()
  assert.deepEqual((await other.get('/api/v1/workspace')).body.continuity, { mode: 'any_channel', windowDays: 7 })
})

test('any_channel: a threadless message continues the open case, and a new mail from another channel continues it with a channel switch', async () => {
  const ws = await t.workspace()
  const api = await apiInbox(ws)
  const address = await emailInbox(ws)
  const customer = `c-${Math.random().toString(36).slice(2)}@example.org`
  const first = await inbound(ws, api, customer, 'My parcel is late')
  const second = await inbound(ws, api, customer, 'Any news?')
  assert.equal(second.conversation.id, first.conversation.id, 'the second message continues the open case')

  const mail = await send(client, { from: customer, to: address, subject: 'Still waiting', text: 'Writing by email now.' })
  assert.equal(mail.code, 250)
  await t.omnidesk.emailProcessor.drain()
  const messages = (await ws.get(`/api/v1/conversations/${first.conversation.id}/messages?limit=50`)).body.items as Json[]
  assert.deepEqual(
    messages.map((m) => [m.direction, m.channel]),
    [['inbound', 'api'], ['inbound', 'api'], ['inbound', 'email']],
  )
  const conv = (await ws.get(`/api/v1/conversations/${first.conversation.id}`)).body
  assert.equal(conv.channel, 'email')
  const items = await timeline(ws, first.conversation.id)
  const switched = items.find((i) => i.type === 'conversation.channel-switched')
  assert.ok(switched, JSON.stringify(items.map((i) => i.type)))
  assert.equal(switched.payload.from, 'api')
  assert.equal(switched.payload.to, 'email')
  const threaded = items.filter((i) => i.type === 'message.threaded' && i.payload.rule === 'continuity')
  assert.equal(threaded.length, 2, 'each continued message says why')
  assert.match(String(threaded[1]?.payload.reason), /last on api, now email/)
  // The inbound mail's own record says the same.
  const rows = (await ws.get('/api/v1/email/inbound?limit=1')).body.items
  const detail = (await ws.get(`/api/v1/email/inbound/${rows[0].id}`)).body
  assert.equal(detail.threading.matched, 'continuity')
  assert.equal(detail.conversationId, first.conversation.id)
})

test('email keeps its own rule between mails: a new mail with another subject opens a new case even with an open email case', async () => {
  const ws = await t.workspace()
  const address = await emailInbox(ws)
  const customer = `e-${Math.random().toString(36).slice(2)}@example.org`
  for (const subject of ['Invoice question', 'Password reset'])
    assert.equal((await send(client, { from: customer, to: address, subject, text: `About: ${subject}` })).code, 250)
  await t.omnidesk.emailProcessor.drain()
  const list = (await ws.get('/api/v1/conversations?limit=10')).body.items as Json[]
  assert.equal(list.length, 2)
})

test('a solved case, a case older than the window, same_channel and off each open a new case', async () => {
  const ws = await t.workspace()
  const api = await apiInbox(ws)
  const address = await emailInbox(ws)
  const customer = `s-${Math.random().toString(36).slice(2)}@example.org`

  const solved = await inbound(ws, api, customer, 'first matter')
  assert.equal((await ws.patch(`/api/v1/conversations/${solved.conversation.id}`, { status: 'solved' })).status, 200)
  const afterSolved = await inbound(ws, api, customer, 'a new matter')
  assert.notEqual(afterSolved.conversation.id, solved.conversation.id)

  // Older than the window: the case's last activity moved back 8 days.
  await t.database.db.updateTable('conversations').set({ last_message_at: new Date(Date.now() - 8 * 86_400_000), created_at: new Date(Date.now() - 8 * 86_400_000) }).where('id', '=', afterSolved.conversation.id).execute()
  const stale = await inbound(ws, api, customer, 'later')
  assert.notEqual(stale.conversation.id, afterSolved.conversation.id)

  // same_channel: an api message continues the open api case; a new mail does not.
  assert.equal((await ws.patch('/api/v1/workspace', { continuity: { mode: 'same_channel' } })).status, 200)
  const same = await inbound(ws, api, customer, 'same channel')
  assert.equal(same.conversation.id, stale.conversation.id)
  assert.equal((await send(client, { from: customer, to: address, subject: 'By mail', text: 'hello' })).code, 250)
  await t.omnidesk.emailProcessor.drain()
  const mails = (await ws.get('/api/v1/conversations?limit=50')).body.items as Json[]
  const byMail = mails.find((c) => c.channel === 'email')
  assert.ok(byMail)
  assert.notEqual(byMail.id, stale.conversation.id)

  assert.equal((await ws.patch('/api/v1/workspace', { continuity: { mode: 'off' } })).status, 200)
  const off = await inbound(ws, api, customer, 'rule off')
  assert.notEqual(off.conversation.id, stale.conversation.id)
  // An explicit thread always wins.
  const explicit = await inbound(ws, api, customer, 'explicit', { conversationId: stale.conversation.id })
  assert.equal(explicit.conversation.id, stale.conversation.id)

  // Cases opened by a message (a new case beside the contact's others), by a mail and by a create
  // draw their numbers from the one counter of the workspace: 1, 2, 3, … without a gap or a twin.
  const created = await ws.post('/api/v1/conversations', { contact: { email: customer }, subject: 'by the API', message: { text: 'created' } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const numbers = ((await ws.get('/api/v1/conversations?limit=50')).body.items as Json[]).map((c) => Number(c.number)).sort((a, b) => a - b)
  assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => i + 1))
})

test("another workspace's open case of the same address is never continued", async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const customer = `x-${Math.random().toString(36).slice(2)}@example.org`
  const inA = await inbound(a, await apiInbox(a), customer, 'in A')
  const inB = await inbound(b, await apiInbox(b), customer, 'in B')
  assert.notEqual(inB.conversation.id, inA.conversation.id)
  assert.equal((await b.get(`/api/v1/conversations/${inA.conversation.id}`)).status, 404)
})

test('16 concurrent threadless messages of one new contact make one case with 16 messages', async () => {
  const ws = await t.workspace()
  const api = await apiInbox(ws)
  const customer = `burst-${Math.random().toString(36).slice(2)}@example.org`
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => ws.post(`/api/v1/inboxes/${api}/messages`, { contact: { email: customer }, text: `message ${i}` })))
  assert.deepEqual(
    results.map((r) => r.status),
    Array(16).fill(201),
  )
  const ids = new Set(results.map((r) => r.body.conversation.id))
  assert.equal(ids.size, 1, 'one case')
  const [id] = [...ids]
  const messages = (await ws.get(`/api/v1/conversations/${id}/messages?limit=50`)).body.items as Json[]
  assert.equal(messages.length, 16)
})
