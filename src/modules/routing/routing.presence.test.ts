import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import WebSocket from 'ws'
import { useTestApp } from '../../../test/harness.ts'
import { agent, assigneeOf, decisions, inbox, newCase, presence, queue, until } from './test-helpers.ts'

// A short grace period, and a listening app: presence follows real WebSocket connections.
const t = await useTestApp({ PRESENCE_GRACE_SECONDS: '2' }, { start: true })
await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const url = `ws://127.0.0.1:${(t.omnidesk.app.server.address() as AddressInfo).port}/api/v1/realtime`

async function connect(token: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } })
  const ready = new Promise<void>((resolve) => ws.on('message', (d) => JSON.parse(d.toString()).type === 'ready' && resolve()))
  await once(ws, 'open')
  await ready
  return ws
}

const statusOf = async (ws: { get(u: string): Promise<{ body: { status: string } }> }, id: string) => (await ws.get(`/api/v1/users/${id}/routing`)).body.status

test('an agent without a realtime connection for the grace period goes offline, and their un-started live case goes to the next agent', async () => {
  const ws = await t.workspace()
  const chat = await inbox(ws, 'chat')
  await queue(ws, { name: 'Chat', strategy: 'least_loaded', match: { channels: ['chat'] }, offerTimeoutSeconds: 600 })
  await queue(ws, { name: 'Rest', strategy: 'least_loaded' })
  const bea = await agent(ws, 'bea', { chat: 1, api: 1 }, { online: false })
  const ali = await agent(ws, 'ali', { chat: 1 }, { online: false })
  const beaSocket = await connect(bea.token)
  const aliSocket = await connect(ali.token)
  try {
    await presence(bea.client, bea.id, 'online')
    const live = await newCase(ws, { inboxId: chat })
    const offer = await until('bea is offered the chat', async () => (await bea.client.get('/api/v1/offers')).body.items[0])
    assert.equal((await bea.client.post(`/api/v1/offers/${offer.id}/accept`)).status, 200)
    const async = await newCase(ws)
    await until('bea has the async case', async () => (await assigneeOf(ws, async.id)) === bea.id)
    await presence(ali.client, ali.id, 'online')

    // Connected agents stay online well past the grace period.
    await new Promise((r) => setTimeout(r, 3000))
    assert.equal(await statusOf(ws, bea.id), 'online')
    assert.equal(await statusOf(ws, ali.id), 'online')

    // bea's browser goes away: after the grace period she is offline, her chat (no reply yet) is re-queued and offered to ali.
    beaSocket.close()
    await until('bea offline', async () => (await statusOf(ws, bea.id)) === 'offline')
    const routing = (await ws.get(`/api/v1/users/${bea.id}/routing`)).body
    assert.match(routing.reason, /no realtime connection/)
    assert.equal(await assigneeOf(ws, live.id), null)
    const next = await until('ali is offered the chat', async () => (await ali.client.get('/api/v1/offers')).body.items[0])
    assert.equal(next.conversationId, live.id)
    assert.ok((await decisions(ws, live.id)).some((d) => d.kind === 'requeued'))
    // The async case stays with her (the queue does not release on offline).
    assert.equal(await assigneeOf(ws, async.id), bea.id)
    assert.equal(await statusOf(ws, ali.id), 'online')
  } finally {
    beaSocket.close()
    aliSocket.close()
  }
})

test('a live case the agent has started is not taken back when they go away; moveToQueue re-routes from another module', async () => {
  const ws = await t.workspace()
  const chat = await inbox(ws, 'chat')
  await queue(ws, { name: 'Chat', strategy: 'least_loaded', match: { channels: ['chat'] }, offerTimeoutSeconds: 600 })
  const l2 = await queue(ws, { name: 'L2', strategy: 'least_loaded', match: { tags: ['never-matches'] } })
  const cy = await agent(ws, 'cy', { chat: 2 })
  const socket = await connect(cy.token)
  try {
    const live = await newCase(ws, { inboxId: chat })
    const offer = await until('an offer', async () => (await cy.client.get('/api/v1/offers')).body.items[0])
    await cy.client.post(`/api/v1/offers/${offer.id}/accept`)
    assert.equal((await cy.client.post(`/api/v1/conversations/${live.id}/messages`, { text: 'Hello, looking into it', private: true })).status, 201)
    await presence(cy.client, cy.id, 'away')
    assert.equal(await assigneeOf(ws, live.id), cy.id, 'started work stays')

    await presence(cy.client, cy.id, 'online')
    const admin = { kind: 'system' as const, workspaceId: ws.workspaceId, userId: null, role: 'owner' as const, label: 'sla escalation' }
    await t.omnidesk.services.routing.moveToQueue(admin, live.id, l2.id, 'breached first response: L2')
    // Unassigned from cy and routed again in L2: cy is the only agent, so she is offered it there.
    const again = await until('offered in L2', async () => (await cy.client.get('/api/v1/offers')).body.items[0])
    assert.equal(again.queueId, l2.id)
    const moved = (await decisions(ws, live.id)).find((d) => d.kind === 'moved')
    assert.match(moved.reason, /breached first response/)
    assert.equal(moved.actor.label, 'sla escalation')
  } finally {
    socket.close()
  }
})
