import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { eventsOf, member, openConversation } from './test-helpers.ts'

const t = await useTestApp()

const patch = (ws: WorkspaceClient, id: string, body: Record<string, unknown>) => ws.patch(`/api/v1/conversations/${id}`, body)

async function requireFields(ws: WorkspaceClient, rule: { solve?: string[]; transfer?: string[] }) {
  const res = await ws.put('/api/v1/settings/case-requirements', { solve: rule.solve ?? [], transfer: rule.transfer ?? [] })
  assert.equal(res.status, 200, JSON.stringify(res.body))
}

test('status follows the state machine; closed is final', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  const pending = await patch(ws, c.id, { status: 'pending' })
  assert.equal(pending.status, 200)
  assert.equal(pending.body.status, 'pending')
  const solved = await patch(ws, c.id, { status: 'solved' })
  assert.equal(solved.body.status, 'solved')
  assert.ok(solved.body.solvedAt)
  const closed = await patch(ws, c.id, { status: 'closed' })
  assert.equal(closed.status, 200)
  assert.ok(closed.body.closedAt)
  const reopen = await patch(ws, c.id, { status: 'open' })
  assert.equal(reopen.status, 422)
  assert.equal(reopen.body.error.code, 'INVALID_TRANSITION')
  assert.deepEqual(reopen.body.error.details, { from: 'closed', to: 'open', allowed: [] })
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.status, 'closed')
  const changes = (await eventsOf(t, c.id)).filter((e) => e.type === 'conversation.status-changed').map((e) => `${e.payload.from}>${e.payload.to}`)
  assert.deepEqual(changes, ['open>pending', 'pending>solved', 'solved>closed'])
})

test('an agent reopening a solved case counts the reopen', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws)
  await patch(ws, c.id, { status: 'solved' })
  const res = await patch(ws, c.id, { status: 'open' })
  assert.equal(res.status, 200)
  assert.equal(res.body.reopenCount, 1)
  assert.ok(res.body.reopenedAt)
  assert.equal(res.body.solvedAt, null)
  assert.ok((await eventsOf(t, c.id)).some((e) => e.type === 'conversation.reopened' && e.payload.reopenCount === 1))
})

test('solving needs the required fields: 422 lists what is missing, then succeeds once they are set', async () => {
  const ws = await t.workspace()
  const field = await ws.post('/api/v1/custom-fields', { key: 'order_id', label: 'Order', type: 'text' })
  assert.equal(field.status, 201, JSON.stringify(field.body))
  const category = await ws.post('/api/v1/categories', { name: 'Billing' })
  assert.equal(category.status, 201, JSON.stringify(category.body))
  await requireFields(ws, { solve: ['category', 'customFields.order_id'] })
  const c = await openConversation(ws)

  const refused = await patch(ws, c.id, { status: 'solved' })
  assert.equal(refused.status, 422)
  assert.equal(refused.body.error.code, 'REQUIRED_FIELDS_MISSING')
  assert.deepEqual(refused.body.error.details.missing, ['category', 'customFields.order_id'])
  const half = await patch(ws, c.id, { status: 'solved', categoryId: category.body.id })
  assert.deepEqual(half.body.error.details.missing, ['customFields.order_id'])
  assert.equal((await ws.get(`/api/v1/conversations/${c.id}`)).body.categoryId, null, 'a refused patch changes nothing')

  const set = await patch(ws, c.id, { categoryId: category.body.id, customFields: { order_id: 'A-17' } })
  assert.equal(set.status, 200)
  assert.deepEqual(set.body.customFields, { order_id: 'A-17' })
  const ok = await patch(ws, c.id, { status: 'solved' })
  assert.equal(ok.status, 200)
  assert.equal(ok.body.status, 'solved')
})

test('a transfer to another assignee needs the transfer requirements; the first assignment does not', async () => {
  const ws = await t.workspace()
  const alice = await member(ws, 'agent', 'alice')
  const bob = await member(ws, 'agent', 'bob')
  await requireFields(ws, { transfer: ['category'] })
  const c = await openConversation(ws)
  const first = await patch(ws, c.id, { assigneeId: alice.id })
  assert.equal(first.status, 200)
  const transfer = await patch(ws, c.id, { assigneeId: bob.id })
  assert.equal(transfer.status, 422)
  assert.equal(transfer.body.error.code, 'REQUIRED_FIELDS_MISSING')
  assert.deepEqual(transfer.body.error.details.missing, ['category'])
  const assigned = (await eventsOf(t, c.id)).filter((e) => e.type === 'conversation.assigned')
  assert.deepEqual(assigned.map((e) => e.payload), [{ assigneeId: alice.id, teamId: null, previousAssigneeId: null, previousTeamId: null }])
})

test('updates are validated, audited with before/after of changed fields, and emit conversation.updated', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws, { subject: 'Same' })
  const res = await patch(ws, c.id, { priority: 'high', subject: 'Same' })
  assert.equal(res.status, 200)
  assert.equal(res.body.priority, 'high')
  const audit = await ws.get(`/api/v1/audit-events?action=conversation.updated&entityId=${c.id}`)
  assert.equal(audit.body.items.length, 1)
  assert.deepEqual(audit.body.items[0].changes, { before: { priority: 'normal' }, after: { priority: 'high' } })
  assert.deepEqual((await eventsOf(t, c.id)).filter((e) => e.type === 'conversation.updated').map((e) => e.payload), [{ fields: ['priority'] }])

  const noop = await patch(ws, c.id, { priority: 'high' })
  assert.equal(noop.status, 200)
  assert.equal((await ws.get(`/api/v1/audit-events?action=conversation.updated&entityId=${c.id}`)).body.items.length, 1, 'a no-op writes no audit')

  const none = '00000000-0000-4000-8000-000000000000'
  for (const [field, body] of [['body.assigneeId', { assigneeId: none }], ['body.teamId', { teamId: none }], ['body.categoryId', { categoryId: none }]] as const) {
    const bad = await patch(ws, c.id, body)
    assert.equal(bad.status, 400, field)
    assert.equal(bad.body.error.details[0].field, field)
  }
  assert.equal((await patch(ws, c.id, { customFields: { nope: 1 } })).status, 400)
  assert.equal((await patch(ws, c.id, { status: 'archived' })).status, 400)
})

test('agents take unassigned cases and release their own; assigning others needs a supervisor', async () => {
  const ws = await t.workspace()
  const alice = await member(ws, 'agent', 'alice')
  const bob = await member(ws, 'agent', 'bob')
  const sue = await member(ws, 'supervisor', 'sue')
  const c = await openConversation(ws)
  assert.equal((await alice.client.patch(`/api/v1/conversations/${c.id}`, { assigneeId: bob.id })).status, 403)
  assert.equal((await alice.client.patch(`/api/v1/conversations/${c.id}`, { assigneeId: alice.id })).status, 200)
  assert.equal((await bob.client.patch(`/api/v1/conversations/${c.id}`, { assigneeId: bob.id })).status, 403, 'no taking a colleague’s case')
  assert.equal((await alice.client.patch(`/api/v1/conversations/${c.id}`, { assigneeId: null })).status, 200)
  const bySue = await sue.client.patch(`/api/v1/conversations/${c.id}`, { assigneeId: bob.id })
  assert.equal(bySue.status, 200)
  assert.equal(bySue.body.assigneeId, bob.id)
})

test('tags are added (normalised, created if new) and removed', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws, { tags: ['vip'] })
  const added = await ws.post(`/api/v1/conversations/${c.id}/tags`, { tags: ['Billing', ' urgent '] })
  assert.equal(added.status, 200, JSON.stringify(added.body))
  assert.deepEqual(added.body.tags, ['billing', 'urgent', 'vip'])
  const removed = await ws.delete(`/api/v1/conversations/${c.id}/tags/Billing`)
  assert.equal(removed.status, 204)
  assert.deepEqual((await ws.get(`/api/v1/conversations/${c.id}`)).body.tags, ['urgent', 'vip'])
  const replaced = await patch(ws, c.id, { tags: ['other'] })
  assert.deepEqual(replaced.body.tags, ['other'])
  const updates = (await eventsOf(t, c.id)).filter((e) => e.type === 'conversation.updated').map((e) => e.payload)
  assert.deepEqual(updates, [
    { fields: ['tags'], tagsAdded: ['billing', 'urgent'], tagsRemoved: [] },
    { fields: ['tags'], tagsAdded: [], tagsRemoved: ['billing'] },
    { fields: ['tags'], tagsAdded: ['other'], tagsRemoved: ['urgent', 'vip'] },
  ])
})
