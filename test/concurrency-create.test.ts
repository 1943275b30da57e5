import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Res, useTestApp, type WorkspaceClient } from './harness.ts'

/**
 * Concurrent `POST /api/v1/conversations` in one workspace, the worst case for
 * locks: every request writes the same workspace's conversation numbers, audit
 * log and outbox. On PostgreSQL (DATABASE_URL) a real pool of 10 connections runs
 * the transactions side by side; on PGlite they are serialised by its one session.
 */
const t = await useTestApp({ DATABASE_POOL_SIZE: '10' })

const create = (ws: WorkspaceClient, email: string, n: number) =>
  ws.post('/api/v1/conversations', { contact: { name: `Customer ${n}`, email }, subject: `Order ${n}`, message: { text: `Message ${n}` } })

function assertAllCreated(results: Res[]) {
  const failed = results.filter((r) => r.status !== 201)
  assert.deepEqual(failed.map((r) => `${r.status} ${JSON.stringify(r.body)}`), [], 'every create answers 201 (no deadlock, no 5xx)')
}

async function contactsWithEmail(ws: WorkspaceClient, email: string): Promise<string[]> {
  const res = await ws.get(`/api/v1/contacts?query=${encodeURIComponent(email)}&limit=100`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return (res.body.items as Array<{ id: string }>).map((c) => c.id)
}

async function allConversations(ws: WorkspaceClient): Promise<Array<{ number: number; contactId: string }>> {
  const items: Array<{ number: number; contactId: string }> = []
  let cursor: string | null = null
  do {
    const res = await ws.get(`/api/v1/conversations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    items.push(...res.body.items)
    cursor = res.body.nextCursor
  } while (cursor)
  return items
}

test('64 concurrent creates mixing new and existing contacts: no 5xx, unique numbers, one contact per email, an intact audit chain', async () => {
  const ws = await t.workspace()
  const existing = Array.from({ length: 8 }, (_, i) => `known-${i}@example.com`)
  for (const [i, email] of existing.entries()) assertAllCreated([await create(ws, email, i)])
  const before = (await ws.get('/api/v1/audit-events/verify')).body.checked as number
  // 64 requests: half for the known customers, half for 16 new ones (each new one twice, racing itself).
  const emails = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? existing[(i / 2) % 8] : `new-${((i - 1) / 2) % 16}@example.com`) as string)
  const results = await Promise.all(emails.map((email, i) => create(ws, email, 100 + i)))
  assertAllCreated(results)

  const conversations = await allConversations(ws)
  assert.equal(conversations.length, 8 + 64)
  const numbers = conversations.map((c) => c.number).sort((a, b) => a - b)
  assert.deepEqual(numbers, Array.from({ length: 72 }, (_, i) => i + 1), 'numbers are unique and gapless')

  for (const email of new Set([...existing, ...emails])) {
    const ids = await contactsWithEmail(ws, email)
    assert.equal(ids.length, 1, `one contact for ${email}`)
    const answered = results.filter((_, i) => emails[i] === email).map((r) => r.body.contactId)
    assert.ok(answered.every((id) => id === ids[0]), `every create for ${email} answered the same contact`)
  }

  const chain = await ws.get('/api/v1/audit-events/verify')
  assert.equal(chain.status, 200)
  assert.equal(chain.body.intact, true, JSON.stringify(chain.body))
  // Per create a conversation.created entry, and contact.created for each of the 16 new customers.
  assert.equal(chain.body.checked, before + 64 + 16)
})

for (const senders of [8, 32, 64]) {
  test(`${senders} concurrent creates from one new sender make one contact`, async () => {
    const ws = await t.workspace()
    const email = `same-${senders}@example.com`
    const results = await Promise.all(Array.from({ length: senders }, (_, i) => create(ws, email, i)))
    assertAllCreated(results)
    const ids = await contactsWithEmail(ws, email)
    assert.equal(ids.length, 1)
    assert.ok(results.every((r) => r.body.contactId === ids[0]))
    assert.equal((await ws.get('/api/v1/audit-events/verify')).body.intact, true)
  })
}

test('16 concurrent creates for one new email, mixed with creates for a known one: one contact with one identity, 16 conversations each', async () => {
  const ws = await t.workspace()
  const known = 'known@example.com'
  assertAllCreated([await ws.post('/api/v1/conversations', { contact: { email: known }, message: { text: 'First' } })])
  const fresh = 'fresh@example.com'
  // Interleaved: the new customer's creates race each other and the known customer's, who also gets a name filled in.
  const emails = Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? fresh : known))
  const results = await Promise.all(emails.map((email, i) => create(ws, email, i)))
  assertAllCreated(results)

  const conversations = await allConversations(ws)
  assert.equal(conversations.length, 1 + 32)
  for (const [email, expected] of [[fresh, 16], [known, 17]] as const) {
    const ids = await contactsWithEmail(ws, email)
    assert.equal(ids.length, 1, `one contact for ${email}`)
    const contact = await ws.get(`/api/v1/contacts/${ids[0]}`)
    assert.equal(contact.status, 200, JSON.stringify(contact.body))
    assert.deepEqual(contact.body.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`), [`email:${email}`], `one identity for ${email}`)
    assert.equal(conversations.filter((c) => c.contactId === ids[0]).length, expected, `conversations of ${email}`)
    assert.ok(results.every((r, i) => emails[i] !== email || r.body.contactId === ids[0]), `every create for ${email} answered its contact`)
  }
  const named = await ws.get(`/api/v1/contacts/${(await contactsWithEmail(ws, known))[0]}`)
  assert.match(named.body.name, /^Customer \d+$/, 'the known contact without a name got one from a create')
  assert.equal((await ws.get('/api/v1/audit-events/verify')).body.intact, true)
})

test('48 concurrent creates across three workspaces on shared connections: each workspace sees only its own', async () => {
  // On PostgreSQL the pool's connections keep statements prepared by name and run them for
  // whichever workspace checks them out next: row-level security and the filters must still hold.
  const spaces = [await t.workspace(), await t.workspace(), await t.workspace()]
  const emails = Array.from({ length: 4 }, (_, i) => `shared-${i}@example.com`)
  const jobs = Array.from({ length: 48 }, (_, i) => ({ ws: spaces[i % 3]!, email: emails[i % 4]!, n: i }))
  const results = await Promise.all(jobs.map(({ ws, email, n }) => create(ws, email, n)))
  assertAllCreated(results)
  const contactIds = new Set<string>()
  for (const [k, ws] of spaces.entries()) {
    const mine = results.filter((_, i) => i % 3 === k).map((r) => r.body.id as string)
    const conversations = await allConversations(ws)
    assert.deepEqual(conversations.map((c) => c.number).sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i + 1))
    for (const email of emails) {
      const ids = await contactsWithEmail(ws, email)
      assert.equal(ids.length, 1, `one contact for ${email} in workspace ${k}`)
      contactIds.add(ids[0]!)
    }
    const others = results.filter((_, i) => i % 3 !== k).map((r) => r.body.id as string)
    for (const id of mine.slice(0, 2)) assert.equal((await ws.get(`/api/v1/conversations/${id}`)).status, 200)
    for (const id of others.slice(0, 4)) assert.equal((await ws.get(`/api/v1/conversations/${id}`)).status, 404, 'another workspace’s case is not found')
  }
  assert.equal(contactIds.size, 3 * 4, 'each workspace has its own contacts')
})
