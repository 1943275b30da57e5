import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { member, openConversation } from './test-helpers.ts'

const t = await useTestApp()

test('pages through 30 conversations, newest activity first, without gaps or repeats', async () => {
  const ws = await t.workspace()
  const created: string[] = []
  for (let i = 0; i < 30; i++) created.push((await openConversation(ws, { contact: { name: `C${i}` }, subject: `S${i}` })).id)
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await ws.get(`/api/v1/conversations?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200)
    seen.push(...res.body.items.map((c: { id: string }) => c.id))
    cursor = res.body.nextCursor
    pages++
  } while (cursor && pages < 10)
  assert.equal(seen.length, 30)
  assert.equal(new Set(seen).size, 30)
  assert.deepEqual(seen, [...created].reverse(), 'most recently active first')
  assert.equal(pages, 3)
})

test('a tampered cursor is a 400 INVALID_CURSOR', async () => {
  const ws = await t.workspace()
  for (let i = 0; i < 3; i++) await openConversation(ws)
  const first = await ws.get('/api/v1/conversations?limit=2')
  const cursor: string = first.body.nextCursor
  assert.ok(cursor)
  const [body, sig] = cursor.split('.')
  const forged = `${Buffer.from(JSON.stringify(['2999-01-01T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url')}.${sig}`
  for (const bad of [forged, `${body}x.${sig}`, 'garbage']) {
    const res = await ws.get(`/api/v1/conversations?cursor=${encodeURIComponent(bad)}`)
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 'INVALID_CURSOR')
  }
})

test('filters: status, priority, assignee (or none), team, inbox, tag, contact', async () => {
  const ws = await t.workspace()
  const agent = await member(ws, 'agent', 'alice')
  const team = await ws.post('/api/v1/teams', { name: 'Billing' })
  const a = await openConversation(ws, { contact: { email: 'a@example.com' }, priority: 'urgent', tags: ['VIP', 'refund'], assigneeId: agent.id, teamId: team.body.id })
  const b = await openConversation(ws, { contact: { email: 'b@example.com' }, tags: ['refund'] })
  const c = await openConversation(ws, { contact: { email: 'b@example.com' } })
  assert.equal((await ws.patch(`/api/v1/conversations/${c.id}`, { status: 'pending' })).status, 200)

  const ids = async (q: string) => {
    const res = await ws.get(`/api/v1/conversations?${q}`)
    assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body)}`)
    return res.body.items.map((x: { id: string }) => x.id).sort()
  }
  const sorted = (...xs: string[]) => xs.sort()
  assert.deepEqual(await ids('status=pending'), [c.id])
  assert.deepEqual(await ids('status=open'), sorted(a.id, b.id))
  assert.deepEqual(await ids('priority=urgent'), [a.id])
  assert.deepEqual(await ids(`assigneeId=${agent.id}`), [a.id])
  assert.deepEqual(await ids('assigneeId=none'), sorted(b.id, c.id))
  assert.deepEqual(await ids(`teamId=${team.body.id}`), [a.id])
  assert.deepEqual(await ids('tag=refund'), sorted(a.id, b.id))
  assert.deepEqual(await ids('tag=VIP'), [a.id], 'tags match case-insensitively')
  assert.deepEqual(await ids(`contactId=${b.contactId}`), sorted(b.id, c.id))
  assert.deepEqual(await ids(`inboxId=${a.inboxId}`), sorted(a.id, b.id, c.id))
  assert.deepEqual(await ids('tag=refund&assigneeId=none'), [b.id], 'filters combine')
  assert.deepEqual((await ws.get('/api/v1/conversations?tag=refund')).body.items.find((x: { id: string }) => x.id === a.id).tags, ['refund', 'vip'])
  assert.equal((await ws.get('/api/v1/conversations?status=bogus')).status, 400)
  assert.equal((await ws.get('/api/v1/conversations?assigneeId=someone')).status, 400)
})

test('list rows carry the contact’s name and first identity and the last message, without auditing a contact read per row', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const a = await openConversation(ws, { contact: { name: 'Grace Hopper', email: 'Grace@Navy.example' }, subject: 'Compiler', message: { text: 'The compiler ate my moth.' } })
  const b = await openConversation(ws, { contact: { phone: '+14155550123' }, subject: undefined, message: { text: 'x'.repeat(500) } })
  assert.equal((await ws.post(`/api/v1/conversations/${a.id}/messages`, { text: 'We are looking at it.' })).status, 201)
  assert.equal((await ws.post(`/api/v1/conversations/${a.id}/messages`, { text: 'secret note', private: true })).status, 201)
  await openConversation(other, { contact: { name: 'Someone Else', email: 'else@other.example' } })

  const res = await ws.get('/api/v1/conversations')
  assert.equal(res.status, 200)
  const byId = new Map(res.body.items.map((c: { id: string }) => [c.id, c]))
  const rowA = byId.get(a.id) as { contact: unknown; lastMessage: { direction: string; text: string } }
  const rowB = byId.get(b.id) as { contact: { name: string | null; identity: string }; lastMessage: { direction: string; text: string } }
  assert.deepEqual(rowA.contact, { id: a.contactId, name: 'Grace Hopper', identity: 'Grace@Navy.example' })
  assert.equal(rowA.lastMessage.direction, 'outbound', 'the reply, not the later internal note')
  assert.equal(rowA.lastMessage.text, 'We are looking at it.')
  assert.equal(rowB.contact.name, null)
  assert.equal(rowB.contact.identity, '+14155550123')
  assert.equal(rowB.lastMessage.text.length, 160)
  assert.equal(res.body.items.length, 2, 'nothing of the other workspace')

  const one = await ws.get(`/api/v1/conversations/${a.id}`)
  assert.deepEqual(one.body.contact, rowA.contact, 'a single case carries the same, for live row updates')
  assert.deepEqual(one.body.lastMessage, rowA.lastMessage)
  const audit = await ws.get('/api/v1/audit-events?action=contact.viewed')
  assert.equal(audit.status, 200)
  assert.deepEqual(audit.body.items, [], 'listing is not reading a contact record')
})
