import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'

const t = await useTestApp()
const uniqueAddress = (local = 'support') => `${local}@${Math.random().toString(36).slice(2, 10)}.acme.test`
const fields = (res: { body: { error: { details?: Array<{ field: string }> } } }) => (res.body.error.details ?? []).map((d) => d.field)

test('an email inbox is created with its address, stored lower-case, and listed', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const res = await ws.post('/api/v1/inboxes', { name: 'Support', channel: 'email', config: { address: `  ${address.toUpperCase()} `, displayName: 'Acme Support' } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  assert.equal(res.body.channel, 'email')
  assert.equal(res.body.config.address, address)
  assert.equal(res.body.config.displayName, 'Acme Support')
  assert.deepEqual(res.body.secretsSet, [])
  assert.equal(res.body.active, true)
  assert.equal(res.body.isDefault, false)
  assert.equal(res.body.workspaceId, ws.workspaceId)

  const got = await ws.get(`/api/v1/inboxes/${res.body.id}`)
  assert.equal(got.status, 200)
  assert.deepEqual(got.body, res.body)
  const list = await ws.get('/api/v1/inboxes')
  assert.deepEqual(list.body.items.map((i: { id: string }) => i.id), [res.body.id])
  assert.equal(list.body.nextCursor, null)

  const audit = await ws.get('/api/v1/audit-events?action=inbox.created')
  assert.equal(audit.body.items.length, 1)
  assert.equal(audit.body.items[0].entityId, res.body.id)
  assert.equal(audit.body.items[0].changes.after.config.address, address)
})

test('an email address belongs to one inbox in the whole instance (409), whatever its case', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const address = uniqueAddress()
  assert.equal((await a.post('/api/v1/inboxes', { name: 'A', channel: 'email', config: { address } })).status, 201)
  for (const [client, candidate] of [[b, address], [b, address.toUpperCase()], [a, address]] as const) {
    const res = await client.post('/api/v1/inboxes', { name: 'B', channel: 'email', config: { address: candidate } })
    assert.equal(res.status, 409, JSON.stringify(res.body))
    assert.equal(res.body.error.code, 'CONFLICT')
    assert.match(res.body.error.message, new RegExp(`${address.replace('.', '\\.')}.*already used`))
    assert.deepEqual(fields(res), ['body.config.address'])
  }
  // Nothing was half-written in the refusing workspace.
  assert.equal((await b.get('/api/v1/inboxes')).body.items.length, 0)
  assert.equal((await b.get('/api/v1/audit-events?action=inbox.created')).body.items.length, 0)

  // Renaming another inbox to a taken address is the same conflict.
  const other = await b.post('/api/v1/inboxes', { name: 'B', channel: 'email', config: { address: uniqueAddress() } })
  const patched = await b.patch(`/api/v1/inboxes/${other.body.id}`, { config: { address } })
  assert.equal(patched.status, 409)
  assert.equal((await b.get(`/api/v1/inboxes/${other.body.id}`)).body.config.address, other.body.config.address)
})

test('invalid settings are a 400 naming body.config.<field>', async () => {
  const ws = await t.workspace()
  const cases: Array<[unknown, string[]]> = [
    [{ name: 'E', channel: 'email', config: { address: 'not-an-address' } }, ['body.config.address']],
    [{ name: 'E', channel: 'email', config: {} }, ['body.config.address']],
    [{ name: 'E', channel: 'email', config: { address: uniqueAddress(), imap: { host: 'imap.acme.test', port: 99999, secure: true, user: 'u', password: 'p' } } }, ['body.config.imap.port']],
    [{ name: 'E', channel: 'email', config: { address: uniqueAddress(), colour: 'blue' } }, ['body.config.colour']],
    [{ name: 'S', channel: 'sms', config: { provider: 'twilio', phoneNumber: '0612345678' } }, ['body.config.phoneNumber', 'body.config.accountSid', 'body.config.authToken']],
    [{ name: 'A', channel: 'api', config: { webhookUrl: 'ftp://x.test/hook' } }, ['body.config.webhookUrl']],
  ]
  for (const [body, expected] of cases) {
    const res = await ws.post('/api/v1/inboxes', body)
    assert.equal(res.status, 400, JSON.stringify(res.body))
    assert.equal(res.body.error.code, 'VALIDATION_FAILED')
    assert.deepEqual(fields(res).sort(), [...expected].sort(), JSON.stringify(res.body))
  }
  assert.equal((await ws.get('/api/v1/inboxes')).body.items.length, 0)
})

test('an unknown channel, or an unknown body field, is a 400', async () => {
  const ws = await t.workspace()
  const res = await ws.post('/api/v1/inboxes', { name: 'Fax', channel: 'fax', config: {} })
  assert.equal(res.status, 400)
  assert.ok(fields(res).includes('body.channel'), JSON.stringify(res.body))
  const extra = await ws.post('/api/v1/inboxes', { name: 'Chat', channel: 'chat', config: {}, colour: 'blue' })
  assert.equal(extra.status, 400)
})

test('PATCH renames, deactivates and merges config, re-validated and audited', async () => {
  const ws = await t.workspace()
  const created = await ws.post('/api/v1/inboxes', { name: 'Chat', channel: 'chat', config: { websiteUrl: 'https://acme.test', welcomeMessage: 'Hi!' } })
  const id = created.body.id
  const res = await ws.patch(`/api/v1/inboxes/${id}`, { name: 'Website chat', active: false, config: { preChatForm: true, welcomeMessage: null } })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.name, 'Website chat')
  assert.equal(res.body.active, false)
  assert.deepEqual(res.body.config, { websiteUrl: 'https://acme.test', preChatForm: true })
  const bad = await ws.patch(`/api/v1/inboxes/${id}`, { config: { websiteUrl: 'nope' } })
  assert.equal(bad.status, 400)
  assert.deepEqual(fields(bad), ['body.config.websiteUrl'])
  const audit = await ws.get('/api/v1/audit-events?action=inbox.updated')
  assert.equal(audit.body.items.length, 1)
  assert.deepEqual(audit.body.items[0].changes.before, { name: 'Chat', active: true, config: { websiteUrl: 'https://acme.test', welcomeMessage: 'Hi!' } })
  assert.deepEqual(audit.body.items[0].changes.after, { name: 'Website chat', active: false, config: { websiteUrl: 'https://acme.test', preChatForm: true } })
  assert.deepEqual((await ws.get('/api/v1/inboxes?active=false')).body.items.map((i: { id: string }) => i.id), [id])
  assert.deepEqual((await ws.get('/api/v1/inboxes?active=true')).body.items, [])
})

test('DELETE removes an unused inbox and deactivates one with conversations', async () => {
  const ws = await t.workspace()
  const unused = await ws.post('/api/v1/inboxes', { name: 'Unused', channel: 'telegram', config: { botToken: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ' } })
  assert.equal(unused.status, 201, JSON.stringify(unused.body))
  const del = await ws.delete(`/api/v1/inboxes/${unused.body.id}`)
  assert.equal(del.status, 200)
  assert.equal(del.body.outcome, 'deleted')
  assert.equal((await ws.get(`/api/v1/inboxes/${unused.body.id}`)).status, 404)

  const used = await ws.post('/api/v1/inboxes', { name: 'Used', channel: 'api', config: {} })
  const contact = await t.database.db.insertInto('contacts').values({ workspace_id: ws.workspaceId, name: 'Ada' }).returning('id').executeTakeFirstOrThrow()
  await t.database.db
    .insertInto('conversations')
    .values({ workspace_id: ws.workspaceId, number: 1, subject: null, contact_id: contact.id, inbox_id: used.body.id, channel: 'api', team_id: null, assignee_id: null, category_id: null })
    .execute()
  const kept = await ws.delete(`/api/v1/inboxes/${used.body.id}`)
  assert.equal(kept.status, 200)
  assert.equal(kept.body.outcome, 'deactivated')
  assert.match(kept.body.message, /conversations/)
  assert.equal(kept.body.inbox.active, false)
  assert.equal((await ws.get(`/api/v1/inboxes/${used.body.id}`)).body.active, false)
  const actions = (await ws.get('/api/v1/audit-events')).body.items.map((e: { action: string }) => e.action)
  assert.ok(actions.includes('inbox.deleted') && actions.includes('inbox.deactivated'), JSON.stringify(actions))
})

test('another workspace cannot see, change or delete an inbox (404) and does not list it', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const inbox = await a.post('/api/v1/inboxes', { name: 'Mine', channel: 'chat', config: {} })
  assert.equal((await b.get(`/api/v1/inboxes/${inbox.body.id}`)).status, 404)
  assert.equal((await b.patch(`/api/v1/inboxes/${inbox.body.id}`, { name: 'Yours' })).status, 404)
  assert.equal((await b.delete(`/api/v1/inboxes/${inbox.body.id}`)).status, 404)
  assert.deepEqual((await b.get('/api/v1/inboxes')).body.items, [])
  const still = await a.get(`/api/v1/inboxes/${inbox.body.id}`)
  assert.equal(still.body.name, 'Mine')
  assert.equal(still.body.active, true)
})

test('lists page with a cursor and filter by channel', async () => {
  const ws = await t.workspace()
  for (const name of ['C', 'A', 'B']) await ws.post('/api/v1/inboxes', { name, channel: 'chat', config: {} })
  await ws.post('/api/v1/inboxes', { name: 'D', channel: 'api', config: {} })
  const first = await ws.get('/api/v1/inboxes?limit=2')
  assert.deepEqual(first.body.items.map((i: { name: string }) => i.name), ['A', 'B'])
  const second = await ws.get(`/api/v1/inboxes?limit=2&cursor=${first.body.nextCursor}`)
  assert.deepEqual(second.body.items.map((i: { name: string }) => i.name), ['C', 'D'])
  assert.equal(second.body.nextCursor, null)
  assert.deepEqual((await ws.get('/api/v1/inboxes?channel=api')).body.items.map((i: { name: string }) => i.name), ['D'])
})

test('GET /channels lists every channel with its secret keys and a JSON schema', async () => {
  const ws = await t.workspace()
  const res = await ws.get('/api/v1/channels')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.nextCursor, null)
  const byChannel = Object.fromEntries(res.body.items.map((c: { channel: string }) => [c.channel, c]))
  assert.deepEqual(Object.keys(byChannel).sort(), ['api', 'chat', 'email', 'instagram', 'messenger', 'sms', 'telegram', 'voice', 'whatsapp'])
  assert.deepEqual(byChannel.sms.secretKeys, ['authToken'])
  assert.deepEqual(byChannel.email.secretKeys, ['imap.password', 'smtp.password'])
  assert.equal(byChannel.email.configSchema.type, 'object')
  assert.deepEqual(byChannel.email.configSchema.required, ['address'])
  assert.equal(byChannel.email.configSchema.additionalProperties, false)
  assert.equal(byChannel.sms.configSchema.properties.authToken.writeOnly, true)
})
