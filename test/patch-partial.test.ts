import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { useTestApp, type WorkspaceClient } from './harness.ts'

// Issue #6, "Correctness: PATCH": a PATCH changes exactly the fields it
// carries. Every property sends a random subset of the fields with random
// values and compares the record read back with the one before.
const t = await useTestApp()
const runs = { numRuns: 15 }

type Obj = Record<string, unknown>

/** Reads `url`, PATCHes `patch`, reads again; returns both readings. */
async function patchAndRead(ws: WorkspaceClient, url: string, patch: Obj, readUrl = url): Promise<{ before: Obj; after: Obj }> {
  const before = await ws.get(readUrl)
  assert.equal(before.status, 200, JSON.stringify(before.body))
  const res = await ws.patch(url, patch)
  assert.equal(res.status, 200, `${JSON.stringify(patch)} → ${JSON.stringify(res.body)}`)
  const after = await ws.get(readUrl)
  assert.deepEqual(after.body, res.body, 'the PATCH answer is what a read returns')
  return { before: before.body, after: after.body }
}

/** Fields not in the patch are unchanged; fields in it have the value `expected` gives. */
function assertOnlyPatched(before: Obj, after: Obj, patch: Obj, fields: readonly string[], expected: (field: string, value: unknown) => unknown = (_f, v) => v) {
  for (const f of fields) {
    if (Object.hasOwn(patch, f)) assert.deepEqual(after[f], expected(f, patch[f]), `${f} was sent as ${JSON.stringify(patch[f])}`)
    else assert.deepEqual(after[f], before[f], `${f} was not sent but changed (patch ${JSON.stringify(patch)})`)
  }
}

test('PATCH /workspace changes only the settings it carries', async () => {
  const ws = await t.workspace()
  // Start away from every default, so a default filled in for a missing field shows.
  assert.equal((await ws.patch('/api/v1/workspace', { timeZone: 'Europe/Paris', defaultLocale: 'fr', dataRegion: 'eu' })).status, 200)
  const fields = ['name', 'timeZone', 'defaultLocale', 'dataRegion'] as const
  const patchArb = fc.record(
    {
      name: fc.constantFrom('Renamed', 'Acme Support', 'Ünïcode Desk'),
      timeZone: fc.constantFrom('UTC', 'Europe/Paris', 'America/Sao_Paulo', 'Asia/Tokyo'),
      defaultLocale: fc.constantFrom('en', 'fr', 'pt-BR', 'ja'),
      dataRegion: fc.constantFrom('default', 'eu', 'us-east'),
    },
    { requiredKeys: [] },
  )
  await fc.assert(
    fc.asyncProperty(patchArb, async (patch) => {
      const { before, after } = await patchAndRead(ws, '/api/v1/workspace', patch)
      assertOnlyPatched(before, after, patch, fields)
    }),
    { ...runs, examples: [[{ name: 'Renamed' }]] },
  )
})

test('PATCH /users/{id} changes only the fields it carries', async () => {
  const ws = await t.workspace()
  const user = await ws.post('/api/v1/users', { email: 'pat@example.com', name: 'Pat', role: 'agent' })
  assert.equal(user.status, 201)
  const url = `/api/v1/users/${user.body.id}`
  const patchArb = fc.record(
    {
      name: fc.constantFrom('Pat', 'Patricia', 'P. Smith'),
      role: fc.constantFrom('agent', 'supervisor', 'auditor', 'admin'),
      active: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  await fc.assert(
    fc.asyncProperty(patchArb, async (patch) => {
      const { before, after } = await patchAndRead(ws, url, patch)
      assertOnlyPatched(before, after, patch, ['name', 'role', 'active', 'email'])
    }),
    runs,
  )
})

test('PATCH /contacts/{id} changes only the name and the attribute keys it carries', async () => {
  const ws = await t.workspace()
  const contact = await ws.post('/api/v1/contacts', { name: 'Ada', attributes: { plan: 'gold', seats: 3 } })
  assert.equal(contact.status, 201)
  const url = `/api/v1/contacts/${contact.body.id}`
  const patchArb = fc.record(
    {
      name: fc.constantFrom('Ada', 'Ada Lovelace', null),
      attributes: fc.dictionary(fc.constantFrom('plan', 'seats', 'tier', 'vip'), fc.oneof(fc.constant(null), fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()), { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  )
  await fc.assert(
    fc.asyncProperty(patchArb, async (patch) => {
      const { before, after } = await patchAndRead(ws, url, patch)
      assertOnlyPatched(before, after, patch, ['name', 'identities', 'mergedIntoId'])
      // Attributes merge: keys sent are set (null removes), the others stay.
      const expected = { ...(before.attributes as Obj) }
      for (const [k, v] of Object.entries((patch.attributes ?? {}) as Obj)) {
        if (v === null) delete expected[k]
        else expected[k] = v
      }
      assert.deepEqual(after.attributes, expected)
    }),
    runs,
  )
})

test('PATCH /conversations/{id} changes only the fields it carries', async () => {
  const ws = await t.workspace()
  const conv = await ws.post('/api/v1/conversations', { contact: { email: 'c@example.com' }, subject: 'Start', priority: 'high', tags: ['billing'], message: { text: 'hi' } })
  assert.equal(conv.status, 201)
  const url = `/api/v1/conversations/${conv.body.id}`
  const fields = ['priority', 'subject', 'tags', 'status', 'assigneeId', 'teamId', 'categoryId', 'customFields'] as const
  const patchArb = fc.record(
    {
      priority: fc.constantFrom('low', 'normal', 'high', 'urgent'),
      subject: fc.constantFrom('Refund', 'Where is my order?', null),
      tags: fc.uniqueArray(fc.constantFrom('billing', 'vip', 'bug', 'refund'), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  )
  await fc.assert(
    fc.asyncProperty(patchArb, async (patch) => {
      const { before, after } = await patchAndRead(ws, url, patch)
      assertOnlyPatched(before, after, patch, fields, (f, v) => (f === 'tags' ? [...(v as string[])].sort() : v))
    }),
    runs,
  )
})

test('PATCH /inboxes/{id} changes only the fields it carries', async () => {
  const ws = await t.workspace()
  const inbox = await ws.post('/api/v1/inboxes', { name: 'Chat', channel: 'chat', config: {} })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  const url = `/api/v1/inboxes/${inbox.body.id}`
  const patchArb = fc.record({ name: fc.constantFrom('Chat', 'Web chat', 'Support chat'), active: fc.boolean() }, { requiredKeys: [] })
  await fc.assert(
    fc.asyncProperty(patchArb, async (patch) => {
      const { before, after } = await patchAndRead(ws, url, patch)
      assertOnlyPatched(before, after, patch, ['name', 'active', 'channel', 'config', 'secretsSet', 'isDefault'])
    }),
    runs,
  )
})

test('PATCH /custom-fields/{id} and /categories/{id} change only the fields they carry', async () => {
  const ws = await t.workspace()
  const field = await ws.post('/api/v1/custom-fields', { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'] })
  assert.equal(field.status, 201, JSON.stringify(field.body))
  const fieldArb = fc.record({ label: fc.constantFrom('Plan', 'Customer plan'), options: fc.constantFrom(['free', 'pro'], ['free', 'pro', 'enterprise']) }, { requiredKeys: [] })
  await fc.assert(
    fc.asyncProperty(fieldArb, async (patch) => {
      const { before, after } = await patchAndRead(ws, `/api/v1/custom-fields/${field.body.id}`, patch)
      assertOnlyPatched(before, after, patch, ['key', 'label', 'type', 'options'])
    }),
    runs,
  )
  const parent = await ws.post('/api/v1/categories', { name: 'Billing' })
  const category = await ws.post('/api/v1/categories', { name: 'Refunds', parentId: parent.body.id })
  assert.equal(category.status, 201, JSON.stringify(category.body))
  const categoryArb = fc.record({ name: fc.constantFrom('Refunds', 'Chargebacks'), parentId: fc.constantFrom(parent.body.id as string, null) }, { requiredKeys: [] })
  await fc.assert(
    fc.asyncProperty(categoryArb, async (patch) => {
      const { before, after } = await patchAndRead(ws, `/api/v1/categories/${category.body.id}`, patch)
      assertOnlyPatched(before, after, patch, ['name', 'parentId'])
    }),
    runs,
  )
})

test('an empty PATCH is a no-op that answers the record, on every PATCH route', async () => {
  const ws = await t.workspace()
  const user = (await ws.post('/api/v1/users', { email: 'e@example.com', name: 'E', role: 'agent' })).body
  const team = (await ws.post('/api/v1/teams', { name: 'T' })).body
  const contact = (await ws.post('/api/v1/contacts', { name: 'C' })).body
  const conv = (await ws.post('/api/v1/conversations', { contact: { email: 'e@example.com' }, message: { text: 'hi' } })).body
  const inbox = (await ws.post('/api/v1/inboxes', { name: 'Chat', channel: 'chat', config: {} })).body
  const category = (await ws.post('/api/v1/categories', { name: 'Billing' })).body
  const field = (await ws.post('/api/v1/custom-fields', { key: 'plan', label: 'Plan', type: 'text' })).body
  const urls = [
    '/api/v1/workspace',
    `/api/v1/users/${user.id}`,
    `/api/v1/teams/${team.id}`,
    `/api/v1/contacts/${contact.id}`,
    `/api/v1/conversations/${conv.id}`,
    `/api/v1/inboxes/${inbox.id}`,
    `/api/v1/categories/${category.id}`,
    `/api/v1/custom-fields/${field.id}`,
  ]
  for (const url of urls) {
    const before = await ws.get(url)
    assert.equal(before.status, 200, `${url}: ${JSON.stringify(before.body)}`)
    const res = await ws.patch(url, {})
    assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.body)}`)
    const { updatedAt: _a, ...answered } = res.body
    const { updatedAt: _b, ...was } = before.body
    assert.deepEqual(answered, was, url)
  }
})
