import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { startTwilioSandbox } from '../../channels/sms/sandbox.ts'
import type { OutboundMessage } from './index.ts'

const t = await useTestApp()
const p = t.omnidesk.platform
const inboxes = t.omnidesk.services.inboxes

const row = (id: string) => t.database.db.selectFrom('inboxes').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const storedSecrets = async (id: string) => JSON.parse(p.box.decrypt((await row(id)).secrets ?? ''))
const message = (messageId = '00000000-0000-4000-8000-000000000001'): OutboundMessage => ({
  messageId,
  conversationId: '00000000-0000-4000-8000-000000000002',
  to: { identities: [{ kind: 'phone', value: '+14155550111' }] },
  text: 'Hello',
})

/** Everything the workspace can read back about its inboxes, as one string. */
async function everythingVisible(ws: WorkspaceClient, id: string): Promise<string> {
  const events = await t.database.db.selectFrom('events').select(['type', 'payload']).where('workspace_id', '=', ws.workspaceId).execute()
  return JSON.stringify([
    (await ws.get(`/api/v1/inboxes/${id}`)).body,
    (await ws.get('/api/v1/inboxes')).body,
    (await ws.get('/api/v1/audit-events')).body,
    events,
  ])
}

test('secret settings are stored encrypted and never returned, logged in audit, or put in events', async () => {
  const ws = await t.workspace()
  const token1 = 'tok-first-SECRET-9f3a'
  const created = await ws.post('/api/v1/inboxes', { name: 'SMS', channel: 'sms', config: { provider: 'twilio', phoneNumber: '+14155550100', accountSid: 'AC123', authToken: token1 } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.deepEqual(created.body.config, { provider: 'twilio', phoneNumber: '+14155550100', accountSid: 'AC123' })
  assert.deepEqual(created.body.secretsSet, ['authToken'])
  assert.ok(!JSON.stringify(created.body).includes(token1))
  const id = created.body.id as string

  // At rest: ciphertext in `secrets`, nothing secret in `config`; it decrypts back.
  const stored = await row(id)
  assert.ok(stored.secrets?.startsWith('v1.'), stored.secrets ?? 'null')
  assert.ok(!stored.secrets?.includes(token1))
  assert.ok(!JSON.stringify(stored.config).includes(token1))
  assert.deepEqual(await storedSecrets(id), { authToken: token1 })
  assert.ok(!(await everythingVisible(ws, id)).includes(token1))

  // Replacing the secret: the response, audit and events name it without its value.
  const token2 = 'tok-second-SECRET-77c1'
  const patched = await ws.patch(`/api/v1/inboxes/${id}`, { config: { authToken: token2 } })
  assert.equal(patched.status, 200, JSON.stringify(patched.body))
  assert.deepEqual(patched.body.secretsSet, ['authToken'])
  assert.ok(!JSON.stringify(patched.body).includes(token2))
  assert.deepEqual(await storedSecrets(id), { authToken: token2 })
  const audit = await ws.get('/api/v1/audit-events?action=inbox.updated')
  assert.deepEqual(audit.body.items[0].changes.secretsChanged, ['authToken'])
  const visible = await everythingVisible(ws, id)
  assert.ok(!visible.includes(token1) && !visible.includes(token2))

  // Changing other settings keeps the secret.
  const renumbered = await ws.patch(`/api/v1/inboxes/${id}`, { name: 'SMS US', config: { phoneNumber: '+14155550199' } })
  assert.equal(renumbered.body.config.phoneNumber, '+14155550199')
  assert.deepEqual(renumbered.body.secretsSet, ['authToken'])
  assert.deepEqual(await storedSecrets(id), { authToken: token2 })

  // A required secret cannot be removed.
  const removed = await ws.patch(`/api/v1/inboxes/${id}`, { config: { authToken: null } })
  assert.equal(removed.status, 400)
  assert.deepEqual(removed.body.error.details.map((d: { field: string }) => d.field), ['body.config.authToken'])
  assert.deepEqual(await storedSecrets(id), { authToken: token2 })

  // The adapter is built from the decrypted secrets: the sandbox Twilio accepts only the current token.
  const sandbox = await startTwilioSandbox({ accountSid: 'AC123', authToken: token2 })
  try {
    await ws.patch(`/api/v1/inboxes/${id}`, { config: { apiBaseUrl: sandbox.url } })
    const adapter = await p.tx(ws.workspaceId, (trx) => inboxes.adapterForInTx(trx, ws.workspaceId, id))
    assert.equal(adapter.channel, 'sms')
    const sent = await adapter.send(message())
    assert.deepEqual(sent, { ok: true, externalId: sandbox.sent[0]?.sid })
    assert.equal(sandbox.sent[0]?.authUser, 'AC123')
  } finally {
    await sandbox.close()
  }
})

test('nested secrets (email IMAP password) are split out and kept across partial changes', async () => {
  const ws = await t.workspace()
  const password = 'imap-SECRET-pass-41'
  const address = `help@${Math.random().toString(36).slice(2, 10)}.acme.test`
  const created = await ws.post('/api/v1/inboxes', {
    name: 'Help',
    channel: 'email',
    config: { address, imap: { host: 'imap.acme.test', port: 993, secure: true, user: address, password } },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.deepEqual(created.body.config.imap, { host: 'imap.acme.test', port: 993, secure: true, user: address })
  assert.deepEqual(created.body.secretsSet, ['imap.password'])
  const patched = await ws.patch(`/api/v1/inboxes/${created.body.id}`, { config: { imap: { host: 'mail.acme.test' } } })
  assert.equal(patched.status, 200, JSON.stringify(patched.body))
  assert.equal(patched.body.config.imap.host, 'mail.acme.test')
  assert.deepEqual(patched.body.secretsSet, ['imap.password'])
  assert.deepEqual(await storedSecrets(created.body.id), { imap: { password } })
  assert.ok(!(await everythingVisible(ws, created.body.id)).includes(password))

  // Removing the IMAP settings removes their secret too.
  const dropped = await ws.patch(`/api/v1/inboxes/${created.body.id}`, { config: { imap: null } })
  assert.equal(dropped.body.config.imap, undefined)
  assert.deepEqual(dropped.body.secretsSet, [])
  assert.equal((await row(created.body.id)).secrets, null)
  assert.deepEqual((await ws.get('/api/v1/audit-events?action=inbox.updated')).body.items[0].changes.secretsChanged, ['imap.password'])
})

test('the default API inbox is created once and then returned', async () => {
  const ws = await t.workspace()
  const ensure = () => p.tx(ws.workspaceId, (trx) => inboxes.ensureDefaultApiInboxInTx(trx, ws.workspaceId))
  const [a, b] = await Promise.all([ensure(), ensure()])
  const c = await ensure()
  assert.equal(a.id, b.id)
  assert.equal(a.id, c.id)
  assert.equal(c.channel, 'api')
  assert.equal(c.name, 'API')
  assert.equal(c.isDefault, true)
  const list = await ws.get('/api/v1/inboxes')
  assert.deepEqual(list.body.items.map((i: { id: string; isDefault: boolean }) => [i.id, i.isDefault]), [[a.id, true]])
  // Another workspace gets its own.
  const other = await t.workspace()
  const theirs = await p.tx(other.workspaceId, (trx) => inboxes.ensureDefaultApiInboxInTx(trx, other.workspaceId))
  assert.notEqual(theirs.id, a.id)
  assert.equal(theirs.workspaceId, other.workspaceId)
})

test('the API channel adapter accepts sends; an inactive inbox or another workspace does not', async () => {
  const ws = await t.workspace()
  const api = await ws.post('/api/v1/inboxes', { name: 'Integration', channel: 'api', config: { webhookUrl: 'https://hooks.acme.test/omnidesk', webhookSecret: 'whsec-SECRET' } })
  assert.equal(api.status, 201, JSON.stringify(api.body))
  assert.deepEqual(api.body.secretsSet, ['webhookSecret'])
  const adapterOf = (workspaceId: string) => p.tx(workspaceId, (trx) => inboxes.adapterForInTx(trx, workspaceId, api.body.id))
  const adapter = await adapterOf(ws.workspaceId)
  assert.equal(adapter.channel, 'api')
  assert.deepEqual(await adapter.send(message('00000000-0000-4000-8000-0000000000aa')), { ok: true, externalId: 'api:00000000-0000-4000-8000-0000000000aa' })

  const other = await t.workspace()
  await assert.rejects(adapterOf(other.workspaceId), { code: 'NOT_FOUND' })
  assert.equal(await p.tx(other.workspaceId, (trx) => inboxes.getInTx(trx, other.workspaceId, api.body.id)), null)

  await ws.patch(`/api/v1/inboxes/${api.body.id}`, { active: false })
  const inactive = await (await adapterOf(ws.workspaceId)).send(message())
  assert.equal(inactive.ok, false)
  assert.equal(!inactive.ok && inactive.code, 'INBOX_INACTIVE')
})
