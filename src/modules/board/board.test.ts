import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { member, openConversation } from '../conversations/test-helpers.ts'

const t = await useTestApp()

test('the board counts open and unassigned per inbox and team, the longest waiting, and agent load', async () => {
  const ws = await t.workspace()
  const sup = await member(ws, 'supervisor', 'sue')
  const agent = await member(ws, 'agent', 'dan')
  const team = (await ws.post('/api/v1/teams', { name: 'Billing' })).body
  const mail = await ws.post('/api/v1/inboxes', { name: 'Support mail', channel: 'email', config: { address: `support-${ws.workspaceId.slice(0, 8)}@example.com` } })
  assert.equal(mail.status, 201, JSON.stringify(mail.body))

  const first = await openConversation(ws, { subject: 'first', teamId: team.id })
  const second = await openConversation(ws, { subject: 'second', inboxId: mail.body.id })
  const third = await openConversation(ws, { subject: 'third', teamId: team.id, assigneeId: agent.id })
  const pending = await openConversation(ws, { subject: 'pending', assigneeId: agent.id })
  assert.equal((await ws.patch(`/api/v1/conversations/${pending.id}`, { status: 'pending' })).status, 200)
  const solved = await openConversation(ws, { subject: 'solved' })
  assert.equal((await ws.patch(`/api/v1/conversations/${solved.id}`, { status: 'solved' })).status, 200)

  const res = await sup.client.get('/api/v1/board')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const b = res.body
  assert.deepEqual(b.totals, { open: 3, unassigned: 2, pending: 1, onHold: 0 })
  const apiInbox = b.inboxes.find((i: { channel: string }) => i.channel === 'api')
  assert.deepEqual([apiInbox.open, apiInbox.unassigned], [2, 1])
  const mailRow = b.inboxes.find((i: { inboxId: string }) => i.inboxId === mail.body.id)
  assert.deepEqual([mailRow.name, mailRow.open, mailRow.unassigned], ['Support mail', 1, 1])
  assert.equal(mailRow.oldestWaitingSince, second.lastCustomerMessageAt)
  const billing = b.teams.find((x: { teamId: string }) => x.teamId === team.id)
  assert.deepEqual([billing.name, billing.open, billing.unassigned], ['Billing', 2, 1])
  const none = b.teams.find((x: { teamId: string | null }) => x.teamId === null)
  assert.deepEqual([none.name, none.open, none.unassigned], ['No team', 1, 1])
  assert.deepEqual(b.longestWaiting.map((w: { conversationId: string }) => w.conversationId), [first.id, second.id, third.id])
  assert.equal(b.longestWaiting[0].number, first.number)
  const dan = b.agents.find((a: { userId: string }) => a.userId === agent.id)
  assert.deepEqual([dan.name, dan.open, dan.active], ['dan', 1, 2])
  assert.equal(b.agents[0].userId, agent.id, 'busiest first')
  assert.ok(b.agents.every((a: { role: string }) => a.role !== 'auditor'))
})

test('agents and auditors may not open the board; another workspace sees only its own', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const agent = await member(a, 'agent')
  const auditor = await member(a, 'auditor')
  await openConversation(a)
  for (const c of [agent.client, auditor.client]) {
    const res = await c.get('/api/v1/board')
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'FORBIDDEN')
  }
  const other = await b.get('/api/v1/board')
  assert.equal(other.status, 200)
  assert.deepEqual(other.body.totals, { open: 0, unassigned: 0, pending: 0, onHold: 0 })
  assert.deepEqual(other.body.longestWaiting, [])
  assert.ok(other.body.agents.every((x: { userId: string }) => x.userId !== agent.id))
})

test('the board answers 16 concurrent clients while cases are created, and then counts them all', async () => {
  const ws = await t.workspace()
  const work = [
    ...Array.from({ length: 8 }, (_, i) => openConversation(ws, { subject: `load ${i}` })),
    ...Array.from({ length: 8 }, () => ws.get('/api/v1/board').then((r) => {
      assert.equal(r.status, 200)
      assert.ok(r.body.totals.open <= 8)
    })),
  ]
  await Promise.all(work)
  const settled = (await ws.get('/api/v1/board')).body
  assert.equal(settled.totals.open, 8)
  assert.equal(settled.inboxes.reduce((n: number, i: { open: number }) => n + i.open, 0), 8)
})

test('the board shows each agent’s presence, capacity and cases per channel', async () => {
  const ws = await t.workspace()
  const sup = await member(ws, 'supervisor', 'sue')
  const agent = await member(ws, 'agent', 'dan')
  const mail = await ws.post('/api/v1/inboxes', { name: 'Mail', channel: 'email', config: { address: `presence-${ws.workspaceId.slice(0, 8)}@example.com` } })
  assert.equal(mail.status, 201, JSON.stringify(mail.body))
  await openConversation(ws, { subject: 'by api', assigneeId: agent.id })
  const byMail = await openConversation(ws, { subject: 'by mail', inboxId: mail.body.id, assigneeId: agent.id })
  assert.equal((await ws.patch(`/api/v1/conversations/${byMail.id}`, { status: 'on_hold' })).status, 200)
  assert.equal((await sup.client.put(`/api/v1/users/${agent.id}/routing`, { capacity: { email: 3, chat: 2 }, skills: [] })).status, 200)
  // Busy takes no new work, so nothing is routed to dan while the test looks.
  assert.equal((await agent.client.put(`/api/v1/users/${agent.id}/presence`, { status: 'busy' })).status, 200)
  assert.equal((await sup.client.put(`/api/v1/users/${sup.id}/presence`, { status: 'away' })).status, 200)

  const b = (await sup.client.get('/api/v1/board')).body
  const dan = b.agents.find((a: { userId: string }) => a.userId === agent.id)
  assert.equal(dan.presence, 'busy')
  assert.ok(dan.presenceSince)
  assert.deepEqual([dan.open, dan.active], [1, 2])
  assert.deepEqual(dan.load, { api: 1, email: 1 })
  assert.deepEqual(dan.capacity, { email: 3, chat: 2 })
  const sue = b.agents.find((a: { userId: string }) => a.userId === sup.id)
  assert.deepEqual([sue.presence, sue.load, sue.capacity], ['away', {}, {}])
  const admin = b.agents.find((a: { userId: string }) => a.userId === ws.adminUserId)
  assert.deepEqual([admin.presence, admin.presenceSince], ['offline', null], 'never set: offline')
})
