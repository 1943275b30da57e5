import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Client, clientFor, useTestApp } from '../../../test/harness.ts'

const t = await useTestApp({ LOGIN_RATE_LIMIT: '4' })
const anon = clientFor(t.omnidesk, null)
const password = 'correct horse battery'
let n = 0
let addr = 0

/** A user of the default workspace (the instance owner's) with a token, created by the instance owner. */
async function member(role: string, opts: { password?: boolean } = {}) {
  const email = `${role}-${++n}@default.test`
  const u = await t.admin.post('/api/v1/users', { email, name: `${role} ${n}`, role, ...(opts.password !== false && { password }) })
  assert.equal(u.status, 201, JSON.stringify(u.body))
  const tok = await t.admin.post('/api/v1/tokens', { name: role, userId: u.body.id })
  assert.equal(tok.status, 201, JSON.stringify(tok.body))
  return { id: u.body.id as string, email, token: tok.body.secret as string, client: clientFor(t.omnidesk, tok.body.secret) }
}

/** Signs in from an address of its own, so that sign-ins stay under LOGIN_RATE_LIMIT. */
async function signIn(email: string, pw = password): Promise<Client> {
  const res = await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: pw }, remoteAddress: `10.9.${n}.${++addr}` })
  assert.equal(res.statusCode, 200, res.body)
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
  const session = cookies.find((c) => c.startsWith('omnidesk_session='))?.split(';')[0] as string
  const csrf = cookies.find((c) => c.startsWith('omnidesk_csrf='))?.split(';')[0] as string
  // A browser sends both cookies, and the app copies the CSRF cookie into the header of every write.
  return clientFor(t.omnidesk, null, { cookie: `${session}; ${csrf}`, 'x-csrf-token': csrf.slice('omnidesk_csrf='.length) })
}

const ownerId = async () => (await t.admin.get('/api/v1/auth/me')).body.userId as string

test('an admin cannot mint a token for the owner, nor change, reset or deactivate the owner', async () => {
  const owner = await ownerId()
  const admin = await member('admin')
  const minted = await admin.client.post('/api/v1/tokens', { name: 'x', userId: owner })
  assert.equal(minted.status, 403, JSON.stringify(minted.body))
  assert.equal(minted.body.error.code, 'FORBIDDEN')
  for (const patch of [{ role: 'agent' }, { password: 'a brand new password' }, { name: 'Pwned' }, { active: false }])
    assert.equal((await admin.client.patch(`/api/v1/users/${owner}`, patch)).status, 403, JSON.stringify(patch))
  assert.equal((await admin.client.patch(`/api/v1/users/${owner}`, { email: 'me@evil.test' })).status, 400, 'email is not changeable')
  assert.equal((await admin.client.patch(`/api/v1/users/${admin.id}`, { role: 'owner' })).status, 403, 'no self-promotion')
  assert.equal((await admin.client.post('/api/v1/users', { email: `o${n}@default.test`, name: 'O', role: 'owner' })).status, 403)
  const ownersToken = await t.admin.post('/api/v1/tokens', { name: 'owner own' })
  assert.equal((await admin.client.delete(`/api/v1/tokens/${ownersToken.body.token.id}`)).status, 403, 'nor revoke the owner\'s tokens')
  assert.equal((await admin.client.post('/api/v1/workspaces', { name: 'Mine' })).status, 403)
  const me = await admin.client.get('/api/v1/auth/me')
  assert.deepEqual([me.body.role, me.body.instanceOwner], ['admin', false])
  // Admins still mint tokens for users they may act on.
  const agent = await member('agent')
  assert.equal((await admin.client.post('/api/v1/tokens', { name: 'for agent', userId: agent.id })).status, 201)
  const other = await member('admin')
  assert.equal((await admin.client.post('/api/v1/tokens', { name: 'for admin', userId: other.id })).status, 201)
})

test('a second owner cannot act as, or change, the instance owner', async () => {
  const instanceOwner = await ownerId()
  const owner = await member('owner')
  assert.equal((await owner.client.get('/api/v1/auth/me')).body.instanceOwner, false)
  assert.equal((await owner.client.post('/api/v1/tokens', { name: 'x', userId: instanceOwner })).status, 403)
  assert.equal((await owner.client.patch(`/api/v1/users/${instanceOwner}`, { password: 'a brand new password' })).status, 403)
  assert.equal((await owner.client.post('/api/v1/workspaces', { name: 'Mine' })).status, 403)
  // An owner acts on admins and other owners.
  const admin = await member('admin')
  assert.equal((await owner.client.post('/api/v1/tokens', { name: 'for admin', userId: admin.id })).status, 201)
  assert.equal((await owner.client.patch(`/api/v1/users/${admin.id}`, { name: 'Renamed' })).status, 200)
})

test('supervisors and agents mint tokens only for themselves', async () => {
  const supervisor = await member('supervisor')
  const agent = await member('agent')
  assert.equal((await supervisor.client.post('/api/v1/tokens', { name: 'x', userId: agent.id })).status, 403)
  assert.equal((await agent.client.post('/api/v1/tokens', { name: 'x', userId: supervisor.id })).status, 403)
  assert.equal((await agent.client.post('/api/v1/tokens', { name: 'mine' })).status, 201)
})

test('a role change revokes the user\'s tokens; sessions keep working with the new role', async () => {
  const sup = await member('supervisor')
  const session = await signIn(sup.email)
  assert.equal((await sup.client.post('/api/v1/teams', { name: `T${n}` })).status, 201)
  assert.equal((await t.admin.patch(`/api/v1/users/${sup.id}`, { role: 'agent' })).status, 200)
  assert.equal((await sup.client.get('/api/v1/auth/me')).status, 401, 'the token minted for a supervisor is gone')
  const me = await session.get('/api/v1/auth/me')
  assert.equal(me.body.role, 'agent')
  assert.equal((await session.post('/api/v1/teams', { name: `U${n}` })).status, 403)
  // A promotion, too: a token an admin minted for an agent must not become an admin's.
  const agent = await member('agent')
  assert.equal((await t.admin.patch(`/api/v1/users/${agent.id}`, { role: 'admin' })).status, 200)
  assert.equal((await agent.client.get('/api/v1/auth/me')).status, 401)
})

test('changing your own password needs the current one, whether by token or session', async () => {
  const agent = await member('agent')
  const noCurrent = await agent.client.patch(`/api/v1/users/${agent.id}`, { password: 'a brand new password' })
  assert.equal(noCurrent.status, 400)
  assert.equal(noCurrent.body.error.details[0].field, 'body.currentPassword')
  const wrong = await agent.client.patch(`/api/v1/users/${agent.id}`, { password: 'a brand new password', currentPassword: 'not the password' })
  assert.equal(wrong.status, 403)
  await signIn(agent.email) // the old password still works
  const session = await signIn(agent.email)
  const ok = await session.patch(`/api/v1/users/${agent.id}`, { password: 'a brand new password', currentPassword: password })
  assert.equal(ok.status, 200, JSON.stringify(ok.body))
  assert.equal((await session.get('/api/v1/auth/me')).status, 401, 'a new password ends the sessions')
  assert.equal((await agent.client.get('/api/v1/auth/me')).status, 200, 'your own tokens stay')
  assert.equal((await anon.post('/api/v1/auth/login', { email: agent.email, password })).status, 401)
  await signIn(agent.email, 'a brand new password')
  // Renaming yourself needs no password.
  assert.equal((await agent.client.patch(`/api/v1/users/${agent.id}`, { name: 'Renamed' })).status, 200)
  // Nor may a passwordless user (say, a bot) set a first password with its token.
  const bot = await member('agent', { password: false })
  assert.equal((await bot.client.patch(`/api/v1/users/${bot.id}`, { password: 'a brand new password', currentPassword: 'anything' })).status, 403)
})

test('an admin resetting a password ends that user\'s sessions and tokens, and is audited', async () => {
  const agent = await member('agent')
  const session = await signIn(agent.email)
  const admin = await member('admin')
  const reset = await admin.client.patch(`/api/v1/users/${agent.id}`, { password: 'reset by admin 1' })
  assert.equal(reset.status, 200, JSON.stringify(reset.body))
  assert.equal((await session.get('/api/v1/auth/me')).status, 401)
  assert.equal((await agent.client.get('/api/v1/auth/me')).status, 401)
  await signIn(agent.email, 'reset by admin 1')
  const audit = await t.admin.get(`/api/v1/audit-events?action=user.password-reset`)
  const entry = audit.body.items.find((e: { entityId: string }) => e.entityId === agent.id)
  assert.ok(entry, JSON.stringify(audit.body))
  assert.ok(String(entry.actor.id).startsWith(admin.id), 'the admin is the actor')
  assert.match(JSON.stringify(entry), /"tokensRevoked":1/)
})

test('guessing your current password is limited like sign-in attempts (LOGIN_RATE_LIMIT per user)', async () => {
  const agent = await member('agent')
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) statuses.push((await agent.client.patch(`/api/v1/users/${agent.id}`, { password: 'a brand new password', currentPassword: `guess number ${i}` })).status)
  assert.deepEqual(statuses, [403, 403, 403, 403, 429])
  const limited = await agent.client.patch(`/api/v1/users/${agent.id}`, { password: 'a brand new password', currentPassword: password })
  assert.equal(limited.status, 429)
  assert.equal(limited.body.error.code, 'RATE_LIMITED')
  assert.ok(Number(limited.headers['retry-after']) > 0)
  // Other changes, and other users, are not affected.
  assert.equal((await agent.client.patch(`/api/v1/users/${agent.id}`, { name: 'Still me' })).status, 200)
  const other = await member('agent')
  assert.equal((await other.client.patch(`/api/v1/users/${other.id}`, { password: 'a brand new password', currentPassword: password })).status, 200)
})
