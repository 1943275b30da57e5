import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'

const t = await useTestApp()

const auditOf = async (ws: WorkspaceClient, entityId: string, action?: string) =>
  (await ws.get(`/api/v1/audit-events?entityType=contact&entityId=${entityId}${action ? `&action=${action}` : ''}`)).body.items as Array<{ action: string; changes: any }> // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the API

test('create, get, update, search and delete a contact', async () => {
  const ws = await t.workspace()
  const res = await ws.post('/api/v1/contacts', {
    name: 'Ada Lovelace',
    attributes: { plan: 'pro', seats: 3 },
    identities: [
      { kind: 'email', value: '  Ada@Example.COM ' },
      { kind: 'phone', value: '0044 20 7946 0958' },
    ],
  })
  assert.equal(res.status, 201)
  const id = res.body.id as string
  assert.equal(res.body.name, 'Ada Lovelace')
  assert.deepEqual(res.body.attributes, { plan: 'pro', seats: 3 })
  assert.deepEqual(
    res.body.identities.map((i: { kind: string; value: string }) => [i.kind, i.value]),
    [['email', 'ada@example.com'], ['phone', '+442079460958']],
  )
  assert.equal(res.body.mergedIntoId, null)
  assert.equal((await auditOf(ws, id, 'contact.created')).length, 1)

  const got = await ws.get(`/api/v1/contacts/${id}`)
  assert.equal(got.status, 200)
  assert.equal(got.body.identities.length, 2)

  const patched = await ws.patch(`/api/v1/contacts/${id}`, { name: 'Ada King', attributes: { seats: 5, plan: 'pro', vip: true } })
  assert.equal(patched.status, 200)
  assert.equal(patched.body.name, 'Ada King')
  assert.deepEqual(patched.body.attributes, { plan: 'pro', seats: 5, vip: true })
  const [updated] = await auditOf(ws, id, 'contact.updated')
  assert.deepEqual(updated?.changes, { before: { name: 'Ada Lovelace', attributes: { seats: 3, vip: null } }, after: { name: 'Ada King', attributes: { seats: 5, vip: true } } })
  const removed = await ws.patch(`/api/v1/contacts/${id}`, { attributes: { vip: null } })
  assert.deepEqual(removed.body.attributes, { plan: 'pro', seats: 5 })

  await ws.post('/api/v1/contacts', { name: 'Grace Hopper', identities: [{ kind: 'email', value: 'grace@navy.example' }] })
  await ws.post('/api/v1/contacts', { name: 'Someone Else', identities: [{ kind: 'telegram', value: '@AdaFan' }] })
  const search = async (q: string) => ((await ws.get(`/api/v1/contacts?query=${encodeURIComponent(q)}`)).body.items as Array<{ name: string }>).map((c) => c.name).sort()
  assert.deepEqual(await search('king'), ['Ada King'], 'name, case-insensitive substring')
  assert.deepEqual(await search('ADA@example.com '), ['Ada King'], 'an email written differently')
  assert.deepEqual(await search('+44 (20) 7946-0958'), ['Ada King'], 'a phone number written differently')
  assert.deepEqual(await search('0044 20 79'), ['Ada King'], 'a partial phone number')
  assert.deepEqual(await search('grace@'), ['Grace Hopper'], 'identity prefix')
  assert.deepEqual(await search('adafan'), ['Someone Else'])
  assert.deepEqual(await search('100%_'), [])
  assert.equal((await ws.get('/api/v1/contacts')).body.items.length, 3)

  assert.equal((await ws.delete(`/api/v1/contacts/${id}`)).status, 204)
  assert.equal((await ws.get(`/api/v1/contacts/${id}`)).status, 404)
  assert.equal((await auditOf(ws, id, 'contact.deleted')).length, 1)
  // The identity is free again.
  assert.equal((await ws.post('/api/v1/contacts', { identities: [{ kind: 'email', value: 'ada@example.com' }] })).status, 201)
})

test('contact list pages with signed cursors, newest first', async () => {
  const ws = await t.workspace()
  for (let i = 0; i < 5; i++) await ws.post('/api/v1/contacts', { name: `C${i}` })
  const first = await ws.get('/api/v1/contacts?limit=3')
  assert.deepEqual(first.body.items.map((c: { name: string }) => c.name), ['C4', 'C3', 'C2'])
  const second = await ws.get(`/api/v1/contacts?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`)
  assert.deepEqual(second.body.items.map((c: { name: string }) => c.name), ['C1', 'C0'])
  assert.equal(second.body.nextCursor, null)
  assert.equal((await ws.get('/api/v1/contacts?cursor=nonsense.sig')).status, 400)
})

test('invalid email or phone is a 400 naming the field', async () => {
  const ws = await t.workspace()
  const badEmail = await ws.post('/api/v1/contacts', { identities: [{ kind: 'email', value: 'ada@' }] })
  assert.equal(badEmail.status, 400)
  assert.equal(badEmail.body.error.code, 'VALIDATION_FAILED')
  assert.deepEqual(badEmail.body.error.details.map((d: { field: string }) => d.field), ['body.identities.0.value'])
  const c = await ws.post('/api/v1/contacts', { name: 'X' })
  const badPhone = await ws.post(`/api/v1/contacts/${c.body.id}/identities`, { kind: 'phone', value: '020 7946 0958' })
  assert.equal(badPhone.status, 400)
  assert.equal(badPhone.body.error.details[0].field, 'body.value')
  assert.match(badPhone.body.error.details[0].message, /international/)
  assert.equal((await ws.post('/api/v1/contacts', { identities: [{ kind: 'fax', value: '1' }] })).status, 400)
  assert.equal((await ws.post('/api/v1/contacts', { name: 'Y', unknown: 1 })).status, 400)
  assert.equal((await ws.get('/api/v1/contacts')).body.items.length, 1, 'failed creations leave nothing behind')
})

test('an identity belongs to one contact: duplicates are 409 IDENTITY_TAKEN naming the owner', async () => {
  const ws = await t.workspace()
  const a = await ws.post('/api/v1/contacts', { name: 'A', identities: [{ kind: 'whatsapp', value: '+34 612 34 56 78' }] })
  const dup = await ws.post('/api/v1/contacts', { name: 'B', identities: [{ kind: 'email', value: 'b@example.com' }, { kind: 'whatsapp', value: '0034612345678' }] })
  assert.equal(dup.status, 409)
  assert.equal(dup.body.error.code, 'IDENTITY_TAKEN')
  assert.deepEqual(dup.body.error.details, { kind: 'whatsapp', value: '+34612345678', contactId: a.body.id, field: 'body.identities.1.value' })
  const names = (await ws.get('/api/v1/contacts')).body.items.map((c: { name: string }) => c.name)
  assert.deepEqual(names, ['A'], 'the refused contact was not half-created')

  const b = await ws.post('/api/v1/contacts', { name: 'B' })
  const add = await ws.post(`/api/v1/contacts/${b.body.id}/identities`, { kind: 'whatsapp', value: '34612345678' })
  assert.equal(add.status, 409)
  assert.equal(add.body.error.details.contactId, a.body.id)
  const ok = await ws.post(`/api/v1/contacts/${b.body.id}/identities`, { kind: 'telegram', value: '@Bee' })
  assert.equal(ok.status, 201)
  const tg = ok.body.identities.find((i: { kind: string }) => i.kind === 'telegram')
  assert.equal(tg.value, 'bee')
  assert.equal((await ws.delete(`/api/v1/contacts/${b.body.id}/identities/${tg.id}`)).status, 204)
  assert.equal((await ws.get(`/api/v1/contacts/${b.body.id}`)).body.identities.length, 0)
  assert.equal((await ws.delete(`/api/v1/contacts/${a.body.id}/identities/${tg.id}`)).status, 404)
  assert.equal((await auditOf(ws, b.body.id, 'contact.identity-removed')).length, 1)
})

test('the same identity written differently resolves to one contact', async () => {
  const ws = await t.workspace()
  const svc = t.omnidesk.services.contacts
  const { systemActor } = await import('../../platform/auth/actor.ts')
  const actor = systemActor(ws.workspaceId)
  const tx = <T>(fn: Parameters<typeof t.omnidesk.platform.tx<T>>[1]) => t.omnidesk.platform.tx(actor, fn)
  const first = await tx((trx) => svc.resolveContactInTx(trx, actor, { email: 'Pat@Example.com' }))
  assert.equal(first.created, true)
  const again = await tx((trx) => svc.resolveContactInTx(trx, actor, { name: 'Pat', email: ' pat@example.COM', phone: '+1 (415) 555-2671' }))
  assert.deepEqual(again, { contactId: first.contactId, created: false })
  const byPhone = await tx((trx) => svc.resolveContactInTx(trx, actor, { phone: '001-415-555-2671', identities: [{ kind: 'widget', value: 'visitor-1' }] }))
  assert.deepEqual(byPhone, { contactId: first.contactId, created: false })
  const contact = (await ws.get(`/api/v1/contacts/${first.contactId}`)).body
  assert.equal(contact.name, 'Pat', 'the name is filled in when the contact had none')
  assert.deepEqual(contact.identities.map((i: { value: string }) => i.value).sort(), ['+14155552671', 'pat@example.com', 'visitor-1'])
  const anonymous = await tx((trx) => svc.resolveContactInTx(trx, actor, {}))
  assert.equal(anonymous.created, true)
  assert.notEqual(anonymous.contactId, first.contactId)
  await assert.rejects(
    tx((trx) => svc.resolveContactInTx(trx, actor, { email: 'nope' })),
    (err: { status?: number; details?: Array<{ field: string }> }) => err.status === 400 && err.details?.[0]?.field === 'body.contact.email',
  )
  // Through the API of conversations too, when that module takes contacts by email.
  const conv = await ws.post('/api/v1/conversations', { contact: { email: 'PAT@example.com' }, message: { text: 'hello' } })
  if (conv.status === 201) assert.equal(conv.body.contactId, first.contactId)
})

test('concurrent resolutions of one identity create one contact', async () => {
  const ws = await t.workspace()
  const { systemActor } = await import('../../platform/auth/actor.ts')
  const actor = systemActor(ws.workspaceId)
  const svc = t.omnidesk.services.contacts
  // Separate transactions at once (truly concurrent on PostgreSQL): the losers must find the winner.
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => t.omnidesk.platform.tx(actor, (trx) => svc.resolveContactInTx(trx, actor, { email: i % 2 ? 'RACE@example.com' : 'race@example.com', name: `R${i}` }))),
  )
  assert.equal(new Set(results.map((r) => r.contactId)).size, 1)
  assert.equal(results.filter((r) => r.created).length, 1)
  assert.equal((await ws.get('/api/v1/contacts')).body.items.length, 1)
})

test('viewing a contact is audited for users, not for the system', async () => {
  const ws = await t.workspace()
  const c = await ws.post('/api/v1/contacts', { name: 'Viewed', identities: [{ kind: 'email', value: 'v@example.com' }] })
  assert.equal((await auditOf(ws, c.body.id, 'contact.viewed')).length, 0)
  await ws.get(`/api/v1/contacts/${c.body.id}`)
  const views = await auditOf(ws, c.body.id, 'contact.viewed')
  assert.equal(views.length, 1)
  const { systemActor } = await import('../../platform/auth/actor.ts')
  await t.omnidesk.services.contacts.get(systemActor(ws.workspaceId), c.body.id)
  assert.equal((await auditOf(ws, c.body.id, 'contact.viewed')).length, 1)
})

test('roles: auditors read but cannot write; agents cannot merge', async () => {
  const ws = await t.workspace()
  const mk = async (role: string) => {
    const u = await ws.post('/api/v1/users', { email: `${role}@example.com`, name: role, role })
    const tok = await ws.post('/api/v1/tokens', { name: role, userId: u.body.id })
    return ws.as(tok.body.secret)
  }
  const agent = await mk('agent')
  const auditor = await mk('auditor')
  const a = await agent.post('/api/v1/contacts', { name: 'A' })
  assert.equal(a.status, 201)
  const b = await agent.post('/api/v1/contacts', { name: 'B' })
  assert.equal((await auditor.get(`/api/v1/contacts/${a.body.id}`)).status, 200)
  assert.equal((await auditor.post('/api/v1/contacts', { name: 'C' })).status, 403)
  assert.equal((await agent.post(`/api/v1/contacts/${a.body.id}/merge`, { sourceContactId: b.body.id })).status, 403)
})

test('another workspace cannot see or touch a contact (404)', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const c = await ws.post('/api/v1/contacts', { name: 'Private', identities: [{ kind: 'email', value: 'private@example.com' }] })
  const mine = await other.post('/api/v1/contacts', { name: 'Mine' })
  const id = c.body.id
  assert.equal((await other.get(`/api/v1/contacts/${id}`)).status, 404)
  assert.equal((await other.patch(`/api/v1/contacts/${id}`, { name: 'Hijack' })).status, 404)
  assert.equal((await other.delete(`/api/v1/contacts/${id}`)).status, 404)
  assert.equal((await other.post(`/api/v1/contacts/${id}/identities`, { kind: 'external', value: 'x' })).status, 404)
  assert.equal((await other.get(`/api/v1/contacts/${id}/merges`)).status, 404)
  assert.equal((await other.post(`/api/v1/contacts/${id}/merge`, { sourceContactId: mine.body.id })).status, 404)
  assert.equal((await other.post(`/api/v1/contacts/${mine.body.id}/merge`, { sourceContactId: id })).status, 404)
  assert.equal((await other.get('/api/v1/contacts?query=private')).body.items.length, 0)
  // The same identity is free in another workspace.
  assert.equal((await other.post('/api/v1/contacts', { identities: [{ kind: 'email', value: 'private@example.com' }] })).status, 201)
  const still = await ws.get(`/api/v1/contacts/${id}`)
  assert.equal(still.body.name, 'Private')
})
