import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'

const t = await useTestApp()

const fieldsOf = (res: { body: { error: { details?: Array<{ field: string }> } } }) => (res.body.error.details ?? []).map((d) => d.field)

async function auditActions(ws: WorkspaceClient, action: string) {
  const res = await ws.get(`/api/v1/audit-events?action=${action}`)
  assert.equal(res.status, 200)
  return res.body.items as Array<{ entityId: string; changes: Record<string, unknown> }>
}

test('categories form a tree listed depth-first with paths', async () => {
  const ws = await t.workspace()
  const billing = await ws.post('/api/v1/categories', { name: 'Billing' })
  assert.equal(billing.status, 201)
  assert.deepEqual(billing.body.path, ['Billing'])
  assert.equal(billing.body.parentId, null)
  const refunds = await ws.post('/api/v1/categories', { name: 'Refunds', parentId: billing.body.id })
  assert.equal(refunds.status, 201)
  assert.deepEqual(refunds.body.path, ['Billing', 'Refunds'])
  await ws.post('/api/v1/categories', { name: 'Accounts' })
  await ws.post('/api/v1/categories', { name: 'Invoices', parentId: billing.body.id })

  const list = await ws.get('/api/v1/categories')
  assert.equal(list.status, 200)
  assert.equal(list.body.nextCursor, null)
  assert.deepEqual(
    list.body.items.map((c: { path: string[] }) => c.path.join(' > ')),
    ['Accounts', 'Billing', 'Billing > Invoices', 'Billing > Refunds'],
  )
  const [created] = await auditActions(ws, 'category.created')
  assert.ok(created)

  // Renaming a parent changes the paths of its children.
  const renamed = await ws.patch(`/api/v1/categories/${billing.body.id}`, { name: 'Payments' })
  assert.equal(renamed.status, 200)
  assert.deepEqual((await ws.get(`/api/v1/categories/${refunds.body.id}`)).body.path, ['Payments', 'Refunds'])

  // A parent from nowhere is a validation error on the field.
  const orphan = await ws.post('/api/v1/categories', { name: 'Lost', parentId: '00000000-0000-4000-8000-000000000000' })
  assert.equal(orphan.status, 400)
  assert.deepEqual(fieldsOf(orphan), ['body.parentId'])
})

test('sibling names are unique ignoring case; the same name elsewhere is fine', async () => {
  const ws = await t.workspace()
  const billing = await ws.post('/api/v1/categories', { name: 'Billing' })
  const dup = await ws.post('/api/v1/categories', { name: 'billing' })
  assert.equal(dup.status, 409)
  assert.equal(dup.body.error.code, 'CONFLICT')
  assert.equal((await ws.post('/api/v1/categories', { name: 'Billing', parentId: billing.body.id })).status, 201, 'a child may share its parent name')
  const other = await ws.post('/api/v1/categories', { name: 'Other' })
  const rename = await ws.patch(`/api/v1/categories/${other.body.id}`, { name: 'BILLING' })
  assert.equal(rename.status, 409)
  assert.equal((await ws.get(`/api/v1/categories/${other.body.id}`)).body.name, 'Other')
  assert.equal((await ws.patch(`/api/v1/categories/${billing.body.id}`, { name: 'BILLING' })).body.name, 'BILLING', 'a category may change its own case')
})

test('moving a category under itself or its subtree is refused; moves elsewhere work', async () => {
  const ws = await t.workspace()
  const a = await ws.post('/api/v1/categories', { name: 'A' })
  const b = await ws.post('/api/v1/categories', { name: 'B', parentId: a.body.id })
  const c = await ws.post('/api/v1/categories', { name: 'C', parentId: b.body.id })
  for (const target of [a, c]) {
    const res = await ws.patch(`/api/v1/categories/${a.body.id}`, { parentId: target.body.id })
    assert.equal(res.status, 422)
    assert.equal(res.body.error.code, 'UNPROCESSABLE')
  }
  assert.equal((await ws.get(`/api/v1/categories/${a.body.id}`)).body.parentId, null)
  const moved = await ws.patch(`/api/v1/categories/${c.body.id}`, { parentId: null })
  assert.equal(moved.status, 200)
  assert.deepEqual(moved.body.path, ['C'])
  const under = await ws.patch(`/api/v1/categories/${a.body.id}`, { parentId: c.body.id })
  assert.equal(under.status, 200)
  assert.deepEqual((await ws.get(`/api/v1/categories/${b.body.id}`)).body.path, ['C', 'A', 'B'])
  const [audit] = await auditActions(ws, 'category.updated')
  assert.deepEqual((audit?.changes.after as { path: string[] }).path, ['C', 'A'])
})

test('deleting a category removes its subtree and is audited', async () => {
  const ws = await t.workspace()
  const a = await ws.post('/api/v1/categories', { name: 'A' })
  const b = await ws.post('/api/v1/categories', { name: 'B', parentId: a.body.id })
  const keep = await ws.post('/api/v1/categories', { name: 'Keep' })
  assert.equal((await ws.delete(`/api/v1/categories/${a.body.id}`)).status, 204)
  assert.equal((await ws.get(`/api/v1/categories/${b.body.id}`)).status, 404)
  assert.deepEqual((await ws.get('/api/v1/categories')).body.items.map((c: { id: string }) => c.id), [keep.body.id])
  assert.equal((await ws.delete(`/api/v1/categories/${a.body.id}`)).status, 404)
  const [audit] = await auditActions(ws, 'category.deleted')
  assert.equal(audit?.entityId, a.body.id)
  assert.deepEqual(audit?.changes.deletedDescendants, [{ id: b.body.id, path: ['A', 'B'] }])
})

test('tags are normalised, unique, coloured, and deleted', async () => {
  const ws = await t.workspace()
  const tag = await ws.post('/api/v1/tags', { name: '  Billing   Issue ', color: '#A1B2C3' })
  assert.equal(tag.status, 201)
  assert.equal(tag.body.name, 'billing issue')
  assert.equal(tag.body.color, '#a1b2c3')
  assert.equal((await ws.post('/api/v1/tags', { name: 'BILLING ISSUE' })).status, 409)
  for (const bad of ['', '   ', 'a,b', 'x'.repeat(51), 'tab\u0007bell']) {
    const res = await ws.post('/api/v1/tags', { name: bad })
    assert.equal(res.status, 400, JSON.stringify(bad))
    assert.deepEqual(fieldsOf(res), ['body.name'])
  }
  assert.equal((await ws.post('/api/v1/tags', { name: 'vip', color: 'red' })).status, 400)

  const recolor = await ws.patch(`/api/v1/tags/${encodeURIComponent('Billing Issue')}`, { color: null })
  assert.equal(recolor.status, 200)
  assert.equal(recolor.body.color, null)
  await ws.post('/api/v1/tags', { name: 'vip' })
  await ws.post('/api/v1/tags', { name: 'bug' })
  const page1 = await ws.get('/api/v1/tags?limit=2')
  assert.deepEqual(page1.body.items.map((x: { name: string }) => x.name), ['billing issue', 'bug'])
  const page2 = await ws.get(`/api/v1/tags?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`)
  assert.deepEqual(page2.body.items.map((x: { name: string }) => x.name), ['vip'])
  assert.equal(page2.body.nextCursor, null)
  assert.deepEqual((await ws.get('/api/v1/tags?q=B')).body.items.map((x: { name: string }) => x.name), ['billing issue', 'bug'])

  assert.equal((await ws.delete('/api/v1/tags/vip')).status, 204)
  assert.equal((await ws.delete('/api/v1/tags/vip')).status, 404)
  assert.equal((await auditActions(ws, 'tag.deleted'))[0]?.entityId, 'vip')
})

test('agents may create tags but not change the taxonomy', async () => {
  const ws = await t.workspace()
  const u = await ws.post('/api/v1/users', { email: 'agent@example.com', name: 'Agent', role: 'agent' })
  const tok = await ws.post('/api/v1/tokens', { name: 'agent', userId: u.body.id })
  const agent = ws.as(tok.body.secret)
  assert.equal((await agent.post('/api/v1/tags', { name: 'urgent' })).status, 201)
  assert.equal((await agent.patch('/api/v1/tags/urgent', { color: '#ff0000' })).status, 403)
  assert.equal((await agent.delete('/api/v1/tags/urgent')).status, 403)
  assert.equal((await agent.post('/api/v1/categories', { name: 'Nope' })).status, 403)
  assert.equal((await agent.post('/api/v1/custom-fields', { key: 'nope', label: 'Nope', type: 'text' })).status, 403)
  assert.equal((await agent.put('/api/v1/settings/case-requirements', { solve: [], transfer: [] })).status, 403)
  assert.equal((await agent.get('/api/v1/categories')).status, 200)
  assert.equal((await agent.get('/api/v1/settings/case-requirements')).status, 200)
})

test('custom field definitions are validated field by field', async () => {
  const ws = await t.workspace()
  const order = await ws.post('/api/v1/custom-fields', { key: 'order_id', label: 'Order', type: 'text' })
  assert.equal(order.status, 201)
  assert.deepEqual(order.body.options, [])
  assert.equal((await ws.post('/api/v1/custom-fields', { key: 'order_id', label: 'Again', type: 'number' })).status, 409)

  const cases: Array<[Record<string, unknown>, string]> = [
    [{ key: 'Order', label: 'X', type: 'text' }, 'body.key'],
    [{ key: '1st', label: 'X', type: 'text' }, 'body.key'],
    [{ key: 'x', label: 'X', type: 'colour' }, 'body.type'],
    [{ key: 'x', label: '', type: 'text' }, 'body.label'],
    [{ key: 'plan', label: 'Plan', type: 'select' }, 'body.options'],
    [{ key: 'plan', label: 'Plan', type: 'select', options: [] }, 'body.options'],
    [{ key: 'plan', label: 'Plan', type: 'select', options: ['Pro', 'pro'] }, 'body.options.1'],
    [{ key: 'amount', label: 'Amount', type: 'number', options: ['1'] }, 'body.options'],
  ]
  for (const [body, field] of cases) {
    const res = await ws.post('/api/v1/custom-fields', body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.ok(fieldsOf(res).includes(field), `${JSON.stringify(body)} → ${JSON.stringify(fieldsOf(res))}`)
  }

  const plan = await ws.post('/api/v1/custom-fields', { key: 'plan', label: 'Plan', type: 'select', options: ['Free', 'Pro'] })
  assert.equal(plan.status, 201)
  const patched = await ws.patch(`/api/v1/custom-fields/${plan.body.id}`, { label: 'Plan tier', options: ['Free', 'Pro', 'Enterprise'] })
  assert.equal(patched.status, 200)
  assert.deepEqual(patched.body.options, ['Free', 'Pro', 'Enterprise'])
  assert.equal(patched.body.type, 'select')
  assert.deepEqual(fieldsOf(await ws.patch(`/api/v1/custom-fields/${order.body.id}`, { options: ['a'] })), ['body.options'])
  assert.equal((await ws.patch(`/api/v1/custom-fields/${order.body.id}`, { type: 'number' })).status, 400, 'the type is fixed')
  assert.deepEqual((await ws.get('/api/v1/custom-fields')).body.items.map((f: { key: string }) => f.key), ['order_id', 'plan'])
  const [audit] = await auditActions(ws, 'custom-field.updated')
  assert.deepEqual(audit?.changes.before, { label: 'Plan', options: ['Free', 'Pro'] })
})

test('the requirement rule round-trips, is validated, and keeps other settings', async () => {
  const ws = await t.workspace()
  assert.deepEqual((await ws.get('/api/v1/settings/case-requirements')).body, { solve: [], transfer: [] })
  await t.database.db
    .updateTable('workspaces')
    .set({ settings: JSON.stringify({ branding: { color: 'teal' } }) })
    .where('id', '=', ws.workspaceId)
    .execute()
  const field = await ws.post('/api/v1/custom-fields', { key: 'order_id', label: 'Order', type: 'text' })
  const rule = { solve: ['category', 'customFields.order_id', 'tags', 'category'], transfer: ['team'] }
  const put = await ws.put('/api/v1/settings/case-requirements', rule)
  assert.equal(put.status, 200)
  assert.deepEqual(put.body, { solve: ['category', 'customFields.order_id', 'tags'], transfer: ['team'] })
  assert.deepEqual((await ws.get('/api/v1/settings/case-requirements')).body, put.body)
  const row = await t.database.db.selectFrom('workspaces').select('settings').where('id', '=', ws.workspaceId).executeTakeFirstOrThrow()
  assert.deepEqual(row.settings.branding, { color: 'teal' }, 'other settings survive')

  const bad = await ws.put('/api/v1/settings/case-requirements', { solve: ['category', 'priority'], transfer: ['customFields.nope'] })
  assert.equal(bad.status, 400)
  assert.deepEqual(fieldsOf(bad), ['body.solve.1', 'body.transfer.0'])
  assert.equal((await ws.put('/api/v1/settings/case-requirements', { solve: [] })).status, 400)
  assert.deepEqual((await ws.get('/api/v1/settings/case-requirements')).body, put.body, 'a refused rule changes nothing')
  const [audit] = await auditActions(ws, 'case-requirements.updated')
  assert.deepEqual(audit?.changes.after, put.body)

  // Deleting a field drops it from the rule, so nothing waits forever on a field that is gone.
  assert.equal((await ws.delete(`/api/v1/custom-fields/${field.body.id}`)).status, 204)
  assert.deepEqual((await ws.get('/api/v1/settings/case-requirements')).body, { solve: ['category', 'tags'], transfer: ['team'] })
  assert.equal((await ws.get(`/api/v1/custom-fields/${field.body.id}`)).status, 404)
})

test("one workspace cannot see or change another's taxonomy", async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const cat = await ws.post('/api/v1/categories', { name: 'Secret' })
  const field = await ws.post('/api/v1/custom-fields', { key: 'secret', label: 'Secret', type: 'text' })
  await ws.post('/api/v1/tags', { name: 'hidden' })

  assert.equal((await other.get(`/api/v1/categories/${cat.body.id}`)).status, 404)
  assert.equal((await other.patch(`/api/v1/categories/${cat.body.id}`, { name: 'Mine' })).status, 404)
  assert.equal((await other.delete(`/api/v1/categories/${cat.body.id}`)).status, 404)
  assert.deepEqual(fieldsOf(await other.post('/api/v1/categories', { name: 'Child', parentId: cat.body.id })), ['body.parentId'])
  assert.deepEqual((await other.get('/api/v1/categories')).body.items, [])

  assert.equal((await other.get(`/api/v1/custom-fields/${field.body.id}`)).status, 404)
  assert.equal((await other.patch(`/api/v1/custom-fields/${field.body.id}`, { label: 'Mine' })).status, 404)
  assert.equal((await other.delete(`/api/v1/custom-fields/${field.body.id}`)).status, 404)
  assert.deepEqual((await other.get('/api/v1/custom-fields')).body.items, [])
  assert.equal((await other.put('/api/v1/settings/case-requirements', { solve: ['customFields.secret'], transfer: [] })).status, 400)

  assert.deepEqual((await other.get('/api/v1/tags')).body.items, [])
  assert.equal((await other.patch('/api/v1/tags/hidden', { color: '#000000' })).status, 404)
  assert.equal((await other.delete('/api/v1/tags/hidden')).status, 404)
  assert.equal((await other.post('/api/v1/tags', { name: 'hidden' })).status, 201, 'tag names are per workspace')

  assert.equal((await ws.get(`/api/v1/categories/${cat.body.id}`)).body.name, 'Secret')
  assert.equal((await ws.get(`/api/v1/custom-fields/${field.body.id}`)).body.label, 'Secret')
})
