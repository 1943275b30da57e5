import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { member, openConversation } from '../conversations/test-helpers.ts'

const t = await useTestApp()

test('a canned reply renders the contact, the agent and the case', async () => {
  const ws = await t.workspace()
  const user = await ws.post('/api/v1/users', { email: `bob-${ws.workspaceId.slice(0, 8)}@example.com`, name: 'Bob Builder', role: 'agent' })
  const token = await ws.post('/api/v1/tokens', { name: 'bob', userId: user.body.id })
  const agent = { client: ws.as(token.body.secret) }
  const conv = await openConversation(ws, { contact: { name: 'Ada Lovelace', email: 'ada@example.com' }, subject: 'Printer on fire' })
  const created = await ws.post('/api/v1/canned-replies', {
    name: 'Greeting',
    shortcut: 'hello',
    body: 'Hi {{contact.firstName}} ({{ contact.email }}),\nabout #{{conversation.number}} "{{conversation.subject}}": on it.\n{{agent.name}}',
    shared: true,
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const rendered = await agent.client.post(`/api/v1/canned-replies/${created.body.id}/render`, { conversationId: conv.id })
  assert.equal(rendered.status, 200, JSON.stringify(rendered.body))
  assert.equal(rendered.body.text, `Hi Ada (ada@example.com),\nabout #${conv.number} "Printer on fire": on it.\nBob Builder`)
  assert.deepEqual(rendered.body.missing, [])

  const phoneOnly = await openConversation(ws, { contact: { phone: '+14155550100' }, subject: undefined })
  const withGap = await ws.post('/api/v1/canned-replies', { name: 'Gap', body: 'Dear {{contact.name}}, call {{contact.phone}}' })
  const gap = await ws.post(`/api/v1/canned-replies/${withGap.body.id}/render`, { conversationId: phoneOnly.id })
  assert.equal(gap.body.text, 'Dear , call +14155550100')
  assert.deepEqual(gap.body.missing, ['contact.name'])

  const unknown = await ws.post('/api/v1/canned-replies', { name: 'Bad', body: 'Hi {{customer.name}}' })
  assert.equal(unknown.status, 400)
  assert.match(unknown.body.error.message, /customer\.name/)
  // Rendering is text substitution only: a value is never re-expanded.
  const sneaky = await openConversation(ws, { contact: { name: '{{agent.email}}', email: 'x@example.com' } })
  const plain = await ws.post(`/api/v1/canned-replies/${withGap.body.id}/render`, { conversationId: sneaky.id })
  assert.match(plain.body.text, /^Dear \{\{agent\.email\}\}, call $/)
})

test('personal and shared canned replies: visibility and who may change them', async () => {
  const ws = await t.workspace()
  const agent = await member(ws, 'agent')
  const other = await member(ws, 'agent', 'other')
  const supervisor = await member(ws, 'supervisor')
  const auditor = await member(ws, 'auditor')
  const mine = await agent.client.post('/api/v1/canned-replies', { name: 'My sign-off', body: 'Cheers, {{agent.firstName}}' })
  assert.equal(mine.status, 201)
  assert.equal(mine.body.shared, false)
  assert.equal((await agent.client.post('/api/v1/canned-replies', { name: 'Shared', body: 'x', shared: true })).status, 403)
  assert.equal((await auditor.client.post('/api/v1/canned-replies', { name: 'Mine', body: 'x' })).status, 403, 'auditors write nothing')
  const shared = await supervisor.client.post('/api/v1/canned-replies', { name: 'Refund policy', body: 'Refunds take 5 days.', shared: true })
  assert.equal(shared.status, 201)

  const names = async (c: typeof agent.client, q = '') => (await c.get(`/api/v1/canned-replies${q}`)).body.items.map((r: { name: string }) => r.name)
  assert.deepEqual(await names(agent.client), ['My sign-off', 'Refund policy'])
  assert.ok((await agent.client.get('/api/v1/canned-replies')).body.variables.includes('contact.firstName'), 'the list names the variables for editors')
  assert.deepEqual(await names(other.client), ['Refund policy'])
  assert.deepEqual(await names(agent.client, '?query=refund'), ['Refund policy'])
  assert.equal((await other.client.get(`/api/v1/canned-replies/${mine.body.id}`)).status, 404)
  assert.equal((await other.client.patch(`/api/v1/canned-replies/${mine.body.id}`, { name: 'x' })).status, 404)
  assert.equal((await other.client.patch(`/api/v1/canned-replies/${shared.body.id}`, { body: 'x' })).status, 403)
  assert.equal((await other.client.delete(`/api/v1/canned-replies/${shared.body.id}`)).status, 403)

  const edited = await agent.client.patch(`/api/v1/canned-replies/${mine.body.id}`, { body: 'Best, {{agent.name}}', shortcut: 'bye' })
  assert.equal(edited.status, 200)
  assert.equal(edited.body.shortcut, 'bye')
  assert.equal((await agent.client.delete(`/api/v1/canned-replies/${mine.body.id}`)).status, 204)
  assert.deepEqual(await names(agent.client), ['Refund policy'])
})

test('another workspace gets 404 for a canned reply and cannot render against its conversations', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const reply = await a.post('/api/v1/canned-replies', { name: 'Shared', body: 'Hi {{contact.name}}', shared: true })
  const conv = await openConversation(a)
  const convB = await openConversation(b)
  const replyB = await b.post('/api/v1/canned-replies', { name: 'B', body: 'Hi {{contact.name}}' })
  for (const res of [
    await b.get(`/api/v1/canned-replies/${reply.body.id}`),
    await b.patch(`/api/v1/canned-replies/${reply.body.id}`, { name: 'x' }),
    await b.delete(`/api/v1/canned-replies/${reply.body.id}`),
    await b.post(`/api/v1/canned-replies/${reply.body.id}/render`, { conversationId: convB.id }),
    await b.post(`/api/v1/canned-replies/${replyB.body.id}/render`, { conversationId: conv.id }),
  ]) {
    assert.equal(res.status, 404, JSON.stringify(res.body))
  }
  assert.deepEqual((await b.get('/api/v1/canned-replies')).body.items.map((r: { id: string }) => r.id), [replyB.body.id])
})
