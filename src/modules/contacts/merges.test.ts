import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'

const t = await useTestApp()

/**
 * Opens a conversation for a contact: through POST /api/v1/conversations when
 * that API is available, else (while the conversations module is being built)
 * by inserting the row directly.
 */
async function openConversation(ws: WorkspaceClient, contact: { id: string; email: string }): Promise<string> {
  const res = await ws.post('/api/v1/conversations', { contact: { email: contact.email }, message: { text: 'Hello' } })
  if (res.status === 201) {
    assert.equal(res.body.contactId, contact.id)
    return res.body.id
  }
  const db = t.database.db
  const inbox =
    (await db.selectFrom('inboxes').select('id').where('workspace_id', '=', ws.workspaceId).executeTakeFirst()) ??
    (await db.insertInto('inboxes').values({ workspace_id: ws.workspaceId, name: 'API', channel: 'api', config: '{}' }).returning('id').executeTakeFirstOrThrow())
  const n = await db.selectFrom('conversations').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', ws.workspaceId).executeTakeFirstOrThrow()
  const conv = await db
    .insertInto('conversations')
    .values({ workspace_id: ws.workspaceId, number: String(Number(n.n) + 1), contact_id: contact.id, inbox_id: inbox.id, channel: 'api' } as never)
    .returning('id')
    .executeTakeFirstOrThrow()
  return conv.id
}

const contactOfConversation = async (id: string) =>
  (await t.database.db.selectFrom('conversations').select('contact_id').where('id', '=', id).executeTakeFirstOrThrow()).contact_id

const eventsOf = async (workspaceId: string, type: string) =>
  t.database.db.selectFrom('events').select(['type', 'contact_id', 'payload']).where('workspace_id', '=', workspaceId).where('type', '=', type).execute()

test('merge then undo restores identities, conversations and attributes, with audit entries and events', async () => {
  const ws = await t.workspace()
  const target = (await ws.post('/api/v1/contacts', {
    name: 'Sam Target',
    attributes: { plan: 'pro', tier: 1 },
    identities: [{ kind: 'email', value: 'sam@work.example' }],
  })).body
  const source = (await ws.post('/api/v1/contacts', {
    name: 'Sam S.',
    attributes: { plan: 'free', city: 'Lyon', tier: 1 },
    identities: [{ kind: 'email', value: 'sam@home.example' }, { kind: 'phone', value: '+33 1 42 68 53 00' }],
  })).body
  const targetConv = await openConversation(ws, { id: target.id, email: 'sam@work.example' })
  const sourceConv = await openConversation(ws, { id: source.id, email: 'sam@home.example' })

  const merged = await ws.post(`/api/v1/contacts/${target.id}/merge`, { sourceContactId: source.id })
  assert.equal(merged.status, 200)
  const { merge, contact } = merged.body
  assert.equal(merge.sourceContactId, source.id)
  assert.equal(merge.targetContactId, target.id)
  assert.deepEqual(merge.conflicts, [{ key: 'plan', kept: 'pro', discarded: 'free' }])
  assert.deepEqual(contact.attributes, { plan: 'pro', tier: 1, city: 'Lyon' })
  assert.equal(contact.name, 'Sam Target')
  assert.deepEqual(contact.identities.map((i: { value: string }) => i.value).sort(), ['+33142685300', 'sam@home.example', 'sam@work.example'])
  assert.equal(await contactOfConversation(sourceConv), target.id)
  assert.equal(await contactOfConversation(targetConv), target.id)

  const gone = (await ws.get(`/api/v1/contacts/${source.id}`)).body
  assert.equal(gone.mergedIntoId, target.id)
  assert.deepEqual(gone.identities, [])
  assert.deepEqual((await ws.get('/api/v1/contacts')).body.items.map((c: { id: string }) => c.id), [target.id], 'merged-away contacts are hidden from lists')
  const { getContactInTx } = t.omnidesk.services.contacts
  const followed = await t.omnidesk.platform.tx(ws.workspaceId, (trx) => getContactInTx(trx, ws.workspaceId, source.id))
  assert.equal(followed?.id, target.id, 'getContactInTx follows the merge')
  assert.equal((await ws.patch(`/api/v1/contacts/${source.id}`, { name: 'X' })).status, 422)
  assert.equal((await ws.post(`/api/v1/contacts/${target.id}/merge`, { sourceContactId: source.id })).status, 422, 'already merged')
  assert.equal((await ws.delete(`/api/v1/contacts/${target.id}`)).status, 422, 'it has conversations')

  const audit = await ws.get(`/api/v1/audit-events?entityId=${target.id}&action=contact.merged`)
  assert.equal(audit.body.items.length, 1)
  assert.deepEqual(audit.body.items[0].changes.conversationIds, [sourceConv])
  const [mergedEvent] = await eventsOf(ws.workspaceId, 'contact.merged')
  assert.deepEqual(mergedEvent?.payload, { mergeId: merge.id, sourceContactId: source.id, targetContactId: target.id, conversationIds: [sourceConv] })

  // A later edit on the target sticks around after the undo.
  await ws.patch(`/api/v1/contacts/${target.id}`, { attributes: { tier: 2 } })

  const undone = await ws.post(`/api/v1/contact-merges/${merge.id}/undo`)
  assert.equal(undone.status, 200)
  assert.ok(undone.body.merge.undoneAt)
  assert.deepEqual(undone.body.contact.attributes, { plan: 'pro', tier: 2 })
  assert.deepEqual(undone.body.contact.identities.map((i: { value: string }) => i.value), ['sam@work.example'])
  const back = (await ws.get(`/api/v1/contacts/${source.id}`)).body
  assert.equal(back.mergedIntoId, null)
  assert.equal(back.name, 'Sam S.')
  assert.deepEqual(back.attributes, { plan: 'free', city: 'Lyon', tier: 1 })
  assert.deepEqual(back.identities.map((i: { value: string }) => i.value).sort(), ['+33142685300', 'sam@home.example'])
  assert.equal(await contactOfConversation(sourceConv), source.id)
  assert.equal(await contactOfConversation(targetConv), target.id)
  assert.equal((await ws.get('/api/v1/contacts')).body.items.length, 2)

  const unmergedAudit = await ws.get(`/api/v1/audit-events?entityId=${target.id}&action=contact.unmerged`)
  assert.equal(unmergedAudit.body.items.length, 1)
  assert.equal((await eventsOf(ws.workspaceId, 'contact.unmerged')).length, 1)

  const twice = await ws.post(`/api/v1/contact-merges/${merge.id}/undo`)
  assert.equal(twice.status, 409)
  const history = await ws.get(`/api/v1/contacts/${source.id}/merges`)
  assert.equal(history.body.items.length, 1)
  assert.equal(history.body.items[0].id, merge.id)
  assert.ok(history.body.items[0].undoneAt)
})

test('a nameless target takes the source name, and gives it back on undo', async () => {
  const ws = await t.workspace()
  const target = (await ws.post('/api/v1/contacts', { identities: [{ kind: 'widget', value: 'visitor-9' }] })).body
  const source = (await ws.post('/api/v1/contacts', { name: 'Known Person', attributes: { lang: 'fr' } })).body
  const merged = await ws.post(`/api/v1/contacts/${target.id}/merge`, { sourceContactId: source.id })
  assert.equal(merged.body.contact.name, 'Known Person')
  assert.deepEqual(merged.body.merge.conflicts, [])
  const undone = await ws.post(`/api/v1/contact-merges/${merged.body.merge.id}/undo`)
  assert.equal(undone.body.contact.name, null)
  assert.deepEqual(undone.body.contact.attributes, {})
  assert.equal(undone.body.sourceContact.name, 'Known Person')
})

test('merge refuses itself, unknown contacts and chains that would lose data', async () => {
  const ws = await t.workspace()
  const a = (await ws.post('/api/v1/contacts', { name: 'A' })).body
  const b = (await ws.post('/api/v1/contacts', { name: 'B' })).body
  const c = (await ws.post('/api/v1/contacts', { name: 'C' })).body
  assert.equal((await ws.post(`/api/v1/contacts/${a.id}/merge`, { sourceContactId: a.id })).status, 422)
  assert.equal((await ws.post(`/api/v1/contacts/${a.id}/merge`, { sourceContactId: '00000000-0000-4000-8000-000000000000' })).status, 404)
  assert.equal((await ws.post('/api/v1/contact-merges/00000000-0000-4000-8000-000000000000/undo')).status, 404)
  const ab = (await ws.post(`/api/v1/contacts/${a.id}/merge`, { sourceContactId: b.id })).body.merge
  const ca = (await ws.post(`/api/v1/contacts/${c.id}/merge`, { sourceContactId: a.id })).body.merge
  assert.equal((await ws.post(`/api/v1/contact-merges/${ab.id}/undo`)).status, 422, 'A was merged on into C: undo that first')
  assert.equal((await ws.delete(`/api/v1/contacts/${c.id}`)).status, 422, 'contacts were merged into it')
  assert.equal((await ws.post(`/api/v1/contact-merges/${ca.id}/undo`)).status, 200)
  assert.equal((await ws.post(`/api/v1/contact-merges/${ab.id}/undo`)).status, 200)
  assert.equal((await ws.get('/api/v1/contacts')).body.items.length, 3)
})

test('another workspace cannot merge, undo or read the merges of a contact (404)', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const a = (await ws.post('/api/v1/contacts', { name: 'A' })).body
  const b = (await ws.post('/api/v1/contacts', { name: 'B' })).body
  const merge = (await ws.post(`/api/v1/contacts/${a.id}/merge`, { sourceContactId: b.id })).body.merge
  assert.equal((await other.post(`/api/v1/contact-merges/${merge.id}/undo`)).status, 404)
  assert.equal((await other.get(`/api/v1/contacts/${a.id}/merges`)).status, 404)
  assert.equal((await ws.get(`/api/v1/contacts/${a.id}/merges`)).body.items.length, 1)
})
