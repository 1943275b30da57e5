import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { countRows, eventsOf, member, openConversation } from './test-helpers.ts'

const t = await useTestApp()

test('POST /conversations opens a case on the default API inbox; the first message is the customer’s', async () => {
  const ws = await t.workspace()
  const res = await ws.post('/api/v1/conversations', {
    contact: { name: 'Ada', email: 'ada@example.com' },
    subject: 'Printer on fire',
    message: { text: 'Help, it is burning.' },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const c = res.body
  assert.match(c.id, /^[0-9a-f-]{36}$/)
  assert.equal(c.status, 'open')
  assert.match(c.contactId, /^[0-9a-f-]{36}$/)
  assert.equal(c.number, 1)
  assert.equal(c.subject, 'Printer on fire')
  assert.equal(c.priority, 'normal')
  assert.equal(c.channel, 'api')
  assert.ok(c.inboxId)
  assert.deepEqual(c.tags, [])
  assert.equal(c.assigneeId, null)
  assert.ok(c.firstInboundAt && c.lastCustomerMessageAt && c.lastMessageAt)
  assert.equal(c.firstResponseAt, null)

  const second = await openConversation(ws, { contact: { email: 'ADA@example.com' } })
  assert.equal(second.number, 2, 'numbers are a per-workspace sequence')
  assert.equal(second.contactId, c.contactId, 'the same email resolves to the same contact')
  assert.equal(second.inboxId, c.inboxId, 'the default API inbox is reused')

  const msgs = await ws.get(`/api/v1/conversations/${c.id}/messages`)
  assert.equal(msgs.status, 200)
  assert.equal(msgs.body.items.length, 1)
  const m = msgs.body.items[0]
  assert.equal(m.direction, 'inbound')
  assert.equal(m.channel, 'api')
  assert.equal(m.text, 'Help, it is burning.')
  assert.deepEqual(m.author, { type: 'contact', id: c.contactId })

  const types = (await eventsOf(t, c.id)).map((e) => e.type)
  assert.deepEqual(types, ['conversation.created', 'message.received'])
  const audit = await ws.get(`/api/v1/audit-events?action=conversation.created&entityId=${c.id}`)
  assert.equal(audit.body.items.length, 1)
  assert.equal(audit.body.items[0].changes.after.contactId, c.contactId)
  assert.equal(JSON.stringify(audit.body.items[0].changes).includes('burning'), false, 'message text stays out of the audit log')
})

test('an html-only message is stored sanitised, with text derived from it', async () => {
  const ws = await t.workspace()
  const c = await openConversation(ws, {
    message: { html: '<p>Hello <b>there</b></p><img src=x onerror=alert(1)><script>alert(2)</script><a href="javascript:alert(3)">click</a><a href="https://example.com">ok</a><img src="https://tracker.example/p.gif">' },
  })
  const m = (await ws.get(`/api/v1/conversations/${c.id}/messages`)).body.items[0]
  assert.doesNotMatch(m.html, /script|onerror|javascript:|alert|tracker/i)
  assert.match(m.html, /<p>Hello <b>there<\/b><\/p>/)
  assert.match(m.html, /<a href="https:\/\/example.com" rel="noopener noreferrer nofollow" target="_blank">ok<\/a>/)
  assert.equal(m.text, 'Hello there\nclickok')
})

test('Idempotency-Key: a retry returns the same conversation; another body with the key is refused', async () => {
  const ws = await t.workspace()
  const body = { contact: { email: 'idem@example.com' }, message: { text: 'once' } }
  const first = await ws.post('/api/v1/conversations', body, { 'idempotency-key': 'k-1' })
  assert.equal(first.status, 201)
  const again = await ws.post('/api/v1/conversations', body, { 'idempotency-key': 'k-1' })
  assert.equal(again.status, 201)
  assert.equal(again.body.id, first.body.id)
  assert.equal(again.headers['idempotent-replayed'], 'true')
  const other = await ws.post('/api/v1/conversations', { ...body, message: { text: 'twice' } }, { 'idempotency-key': 'k-1' })
  assert.equal(other.status, 422)
  assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED')
  assert.equal(await countRows(t, 'conversations', ws.workspaceId), 1)
})

test('a refused request leaves no contact, conversation or message behind', async () => {
  const ws = await t.workspace()
  const badEmail = await ws.post('/api/v1/conversations', { contact: { name: 'Bad', email: 'not-an-email' }, message: { text: 'hi' } })
  assert.equal(badEmail.status, 400, JSON.stringify(badEmail.body))
  // Fails after the contact was resolved inside the transaction: that contact must roll back too.
  const badAssignee = await ws.post('/api/v1/conversations', {
    contact: { name: 'Good', email: 'good@example.com' },
    message: { text: 'hi' },
    assigneeId: '00000000-0000-4000-8000-000000000000',
  })
  assert.equal(badAssignee.status, 400)
  assert.equal(badAssignee.body.error.details[0].field, 'body.assigneeId')
  for (const table of ['contacts', 'conversations', 'messages'] as const) assert.equal(await countRows(t, table, ws.workspaceId), 0, table)
  // The number sequence rolled back with them.
  assert.equal((await openConversation(ws)).number, 1)
})

test('bad bodies are 400 with the failing fields', async () => {
  const ws = await t.workspace()
  const res = await ws.post('/api/v1/conversations', { contact: {}, message: {}, priority: 'asap', extra: true })
  assert.equal(res.status, 400)
  const fields = res.body.error.details.map((d: { field: string }) => d.field)
  for (const f of ['body.contact', 'body.message.text', 'body.priority']) assert.ok(fields.includes(f), `${f} in ${JSON.stringify(fields)}`)
  const unknownInbox = await ws.post('/api/v1/conversations', { inboxId: '00000000-0000-4000-8000-000000000000', contact: { name: 'X' }, message: { text: 'x' } })
  assert.equal(unknownInbox.status, 400)
  assert.equal(unknownInbox.body.error.details[0].field, 'body.inboxId')
})

test('agents may take a case themselves but not hand it to a colleague; supervisors may', async () => {
  const ws = await t.workspace()
  const agent = await member(ws, 'agent', 'alice')
  const colleague = await member(ws, 'agent', 'bob')
  const supervisor = await member(ws, 'supervisor', 'sue')
  const auditor = await member(ws, 'auditor', 'audrey')
  const mine = await agent.client.post('/api/v1/conversations', { contact: { name: 'C1' }, message: { text: 'x' }, assigneeId: agent.id })
  assert.equal(mine.status, 201)
  assert.equal(mine.body.assigneeId, agent.id)
  const theirs = await agent.client.post('/api/v1/conversations', { contact: { name: 'C2' }, message: { text: 'x' }, assigneeId: colleague.id })
  assert.equal(theirs.status, 403)
  const bySupervisor = await supervisor.client.post('/api/v1/conversations', { contact: { name: 'C3' }, message: { text: 'x' }, assigneeId: colleague.id })
  assert.equal(bySupervisor.status, 201)
  assert.equal((await auditor.client.post('/api/v1/conversations', { contact: { name: 'C4' }, message: { text: 'x' } })).status, 403)
  assert.equal((await auditor.client.get(`/api/v1/conversations/${mine.body.id}`)).status, 200)
})
