import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import type { CaseState } from './index.ts'

const t = await useTestApp()
const taxonomy = t.omnidesk.services.taxonomy
const inTx = <T>(ws: WorkspaceClient, fn: Parameters<typeof t.omnidesk.platform.tx<T>>[1]) => t.omnidesk.platform.tx(ws.workspaceId, fn)

/** Asserts a VALIDATION_FAILED error naming exactly these fields. */
const failsOn = (fields: string[]) => (err: unknown) => {
  const e = err as { code?: string; details?: Array<{ field: string }> }
  assert.equal(e.code, 'VALIDATION_FAILED', String(err))
  assert.deepEqual(
    (e.details ?? []).map((d) => d.field),
    fields,
  )
  return true
}

test('assertCategoryInTx accepts own categories only', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const cat = await ws.post('/api/v1/categories', { name: 'Billing' })
  await inTx(ws, (trx) => taxonomy.assertCategoryInTx(trx, ws.workspaceId, cat.body.id))
  await assert.rejects(
    inTx(other, (trx) => taxonomy.assertCategoryInTx(trx, other.workspaceId, cat.body.id)),
    failsOn(['body.categoryId']),
  )
  // A malformed id is refused before it reaches SQL, leaving the caller's transaction usable.
  await inTx(ws, async (trx) => {
    await assert.rejects(taxonomy.assertCategoryInTx(trx, ws.workspaceId, 'not-a-uuid'), failsOn(['body.categoryId']))
    await taxonomy.assertCategoryInTx(trx, ws.workspaceId, cat.body.id)
  })
})

test('validateCustomFieldsInTx type-checks, normalises, and names each bad field', async () => {
  const ws = await t.workspace()
  for (const f of [
    { key: 'note', label: 'Note', type: 'text' },
    { key: 'amount', label: 'Amount', type: 'number' },
    { key: 'vip', label: 'VIP', type: 'boolean' },
    { key: 'due', label: 'Due', type: 'date' },
    { key: 'plan', label: 'Plan', type: 'select', options: ['Free', 'Pro'] },
  ])
    assert.equal((await ws.post('/api/v1/custom-fields', f)).status, 201)

  const ok = await inTx(ws, (trx) =>
    taxonomy.validateCustomFieldsInTx(trx, ws.workspaceId, { note: 'hello\nworld', amount: '12.5', vip: false, due: '2024-02-29', plan: ' pro ' }),
  )
  assert.deepEqual(ok, { note: 'hello\nworld', amount: 12.5, vip: false, due: '2024-02-29', plan: 'Pro' })
  const dt = await inTx(ws, (trx) => taxonomy.validateCustomFieldsInTx(trx, ws.workspaceId, { due: '2024-03-01T10:00:00+02:00', note: null }))
  assert.deepEqual(dt, { due: '2024-03-01T08:00:00.000Z', note: null })

  await assert.rejects(
    inTx(ws, (trx) =>
      taxonomy.validateCustomFieldsInTx(trx, ws.workspaceId, {
        note: 'x'.repeat(10_001),
        amount: Number.POSITIVE_INFINITY,
        vip: 'yes',
        due: '2023-02-29',
        plan: 'Gold',
        colour: 'red',
      }),
    ),
    failsOn(['body.customFields.note', 'body.customFields.amount', 'body.customFields.vip', 'body.customFields.due', 'body.customFields.plan', 'body.customFields.colour']),
  )
  for (const due of ['2024-13-01', '2024-03-01T10:00:00', '2024-03-01T25:00Z', 'tomorrow', 20240301])
    await assert.rejects(inTx(ws, (trx) => taxonomy.validateCustomFieldsInTx(trx, ws.workspaceId, { due })), failsOn(['body.customFields.due']), String(due))
  await assert.rejects(inTx(ws, (trx) => taxonomy.validateCustomFieldsInTx(trx, ws.workspaceId, { note: 'nul\u0000' })), failsOn(['body.customFields.note']))
  await assert.rejects(inTx(ws, (trx) => taxonomy.validateCustomFieldsInTx(trx, ws.workspaceId, { amount: true })), failsOn(['body.customFields.amount']))
})

test('ensureTagsInTx normalises, dedupes, creates missing tags and keeps existing colours', async () => {
  const ws = await t.workspace()
  await ws.post('/api/v1/tags', { name: 'vip', color: '#ff0000' })
  const names = await inTx(ws, (trx) => taxonomy.ensureTagsInTx(trx, ws.workspaceId, ['  Billing   Issue ', 'VIP', 'billing issue', 'new\ttag']))
  assert.deepEqual(names, ['billing issue', 'vip', 'new tag'])
  const tags = (await ws.get('/api/v1/tags')).body.items
  assert.deepEqual(
    tags.map((x: { name: string; color: string | null }) => [x.name, x.color]),
    [['billing issue', null], ['new tag', null], ['vip', '#ff0000']],
  )
  await assert.rejects(inTx(ws, (trx) => taxonomy.ensureTagsInTx(trx, ws.workspaceId, ['ok', ' ', 'a,b', 'y'.repeat(51)])), failsOn(['body.tags.1', 'body.tags.2', 'body.tags.3']))
  assert.equal((await ws.get('/api/v1/tags?q=ok')).body.items.length, 0, 'a refused list creates nothing')
})

test('missingRequirementsInTx reports what the rule asks for and the case lacks', async () => {
  const ws = await t.workspace()
  await ws.post('/api/v1/custom-fields', { key: 'order_id', label: 'Order', type: 'text' })
  const put = await ws.put('/api/v1/settings/case-requirements', { solve: ['category', 'tags', 'customFields.order_id'], transfer: ['team', 'assignee'] })
  assert.equal(put.status, 200)
  const empty: CaseState = { categoryId: null, customFields: {}, tags: [], assigneeId: null, teamId: null }
  const missing = (c: CaseState, transition: 'solve' | 'transfer') => inTx(ws, (trx) => taxonomy.missingRequirementsInTx(trx, ws.workspaceId, c, transition))

  assert.deepEqual(await missing(empty, 'solve'), ['category', 'tags', 'customFields.order_id'])
  assert.deepEqual(await missing(empty, 'transfer'), ['team', 'assignee'])
  assert.deepEqual(await missing({ ...empty, customFields: { order_id: '  ' }, tags: ['x'] }, 'solve'), ['category', 'customFields.order_id'])
  const full: CaseState = {
    categoryId: '00000000-0000-4000-8000-000000000001',
    customFields: { order_id: 'A-1' },
    tags: ['x'],
    assigneeId: '00000000-0000-4000-8000-000000000002',
    teamId: '00000000-0000-4000-8000-000000000003',
  }
  assert.deepEqual(await missing(full, 'solve'), [])
  assert.deepEqual(await missing(full, 'transfer'), [])
  // Another workspace has its own (empty) rule.
  const other = await t.workspace()
  assert.deepEqual(await inTx(other, (trx) => taxonomy.missingRequirementsInTx(trx, other.workspaceId, empty, 'solve')), [])
})

test('deleting taxonomy entries clears them from conversations', async () => {
  const ws = await t.workspace()
  const cat = await ws.post('/api/v1/categories', { name: 'Billing' })
  const field = await ws.post('/api/v1/custom-fields', { key: 'order_id', label: 'Order', type: 'text' })
  await ws.post('/api/v1/custom-fields', { key: 'amount', label: 'Amount', type: 'number' })
  await ws.post('/api/v1/tags', { name: 'vip' })
  // A conversation written directly, so this test does not depend on the conversations module.
  const db = t.database.db
  const contact = await db.insertInto('contacts').values({ workspace_id: ws.workspaceId, name: 'C', attributes: '{}' }).returning('id').executeTakeFirstOrThrow()
  const inbox = await db.insertInto('inboxes').values({ workspace_id: ws.workspaceId, name: 'API', channel: 'api', config: '{}' }).returning('id').executeTakeFirstOrThrow()
  const conv = await db
    .insertInto('conversations')
    .values({
      workspace_id: ws.workspaceId,
      number: 1,
      contact_id: contact.id,
      inbox_id: inbox.id,
      channel: 'api',
      category_id: cat.body.id,
      custom_fields: JSON.stringify({ order_id: 'A-1', amount: 3 }),
      created_at: new Date(),
      updated_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db.insertInto('conversation_tags').values({ workspace_id: ws.workspaceId, conversation_id: conv.id, tag: 'vip' }).execute()

  assert.equal((await ws.delete(`/api/v1/custom-fields/${field.body.id}`)).status, 204)
  assert.equal((await ws.delete(`/api/v1/categories/${cat.body.id}`)).status, 204)
  assert.equal((await ws.delete('/api/v1/tags/vip')).status, 204)
  const row = await db.selectFrom('conversations').select(['category_id', 'custom_fields']).where('id', '=', conv.id).executeTakeFirstOrThrow()
  assert.equal(row.category_id, null)
  assert.deepEqual(row.custom_fields, { amount: 3 })
  assert.equal((await db.selectFrom('conversation_tags').selectAll().where('conversation_id', '=', conv.id).execute()).length, 0)
  const audit = await ws.get('/api/v1/audit-events?action=custom-field.deleted')
  assert.equal(audit.body.items[0].changes.clearedConversations, 1)
})
