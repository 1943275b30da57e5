import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clientFor, useTestApp } from '../../../test/harness.ts'

const t = await useTestApp({ LOGIN_RATE_LIMIT: '5' })
const anon = clientFor(t.omnidesk, null)

async function workspaceWithAgent(password = 'correct horse battery') {
  const ws = await t.workspace()
  const email = `agent-${ws.workspaceId.slice(0, 8)}@example.com`
  const user = await ws.post('/api/v1/users', { email, name: 'Agent', role: 'agent', password })
  assert.equal(user.status, 201, JSON.stringify(user.body))
  return { ws, email, password, userId: user.body.id as string }
}

const sessionCookie = (setCookie: string | string[] | undefined) => {
  const all = Array.isArray(setCookie) ? setCookie : [setCookie ?? '']
  return all.find((c) => c.startsWith('omnidesk_session=')) ?? ''
}

test('password login sets an HttpOnly SameSite session cookie that authenticates; logout ends it', async () => {
  const { ws, email, password, userId } = await workspaceWithAgent()
  const res = await anon.post('/api/v1/auth/login', { email: email.toUpperCase(), password }, { 'x-forwarded-for': '10.0.0.1' })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.user.id, userId)
  const cookie = sessionCookie(res.headers['set-cookie'])
  assert.match(cookie, /HttpOnly/i)
  assert.match(cookie, /SameSite=Lax/i)
  const value = cookie.split(';')[0] as string
  const viaCookie = clientFor(t.omnidesk, null, { cookie: value })
  const me = await viaCookie.get('/api/v1/auth/me')
  assert.equal(me.status, 200)
  assert.equal(me.body.userId, userId)
  assert.equal(me.body.workspaceId, ws.workspaceId)
  const csrf = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('omnidesk_csrf=')) ?? ''
  assert.doesNotMatch(csrf, /HttpOnly/i, 'the app reads the CSRF cookie')
  assert.match(csrf, /SameSite=Strict/i)
  const csrfValue = csrf.split(';')[0]?.slice('omnidesk_csrf='.length) as string
  assert.equal((await viaCookie.post('/api/v1/auth/logout')).status, 403, 'a cookie write without the CSRF header is refused')
  assert.equal((await viaCookie.post('/api/v1/auth/logout', {}, { 'x-csrf-token': csrfValue })).status, 204)
  assert.equal((await viaCookie.get('/api/v1/auth/me')).status, 401)
  const audit = await ws.get('/api/v1/audit-events?action=session.created')
  assert.equal(audit.body.items.length, 1)
})

test('wrong password and unknown email give the same 401', async () => {
  const { email } = await workspaceWithAgent()
  const wrong = await anon.post('/api/v1/auth/login', { email, password: 'nope-nope-nope' })
  const unknown = await anon.post('/api/v1/auth/login', { email: 'nobody@example.com', password: 'nope-nope-nope' })
  assert.equal(wrong.status, 401)
  assert.equal(unknown.status, 401)
  assert.equal(wrong.body.error.code, 'INVALID_CREDENTIALS')
  assert.deepEqual(wrong.body, unknown.body)
})

test('an email of several workspaces: a wrong password says nothing about them; the right one lists only the workspaces it opens', async () => {
  const a = await workspaceWithAgent('shared secret pass')
  const email = a.email
  // Each attempt from its own address: LOGIN_RATE_LIMIT is 5 a minute here.
  let n = 0
  const login = async (payload: Record<string, unknown>) => {
    const res = await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: `192.0.2.${100 + n++}`, payload })
    return { status: res.statusCode, body: res.json() }
  }
  const b = await t.workspace('Second Co')
  assert.equal((await b.post('/api/v1/users', { email, name: 'Agent', role: 'agent', password: 'shared secret pass' })).status, 201)
  const c = await t.workspace('Third Co')
  assert.equal((await c.post('/api/v1/users', { email, name: 'Agent', role: 'agent', password: 'another pass entirely' })).status, 201)

  const wrong = await login({ email, password: 'nope-nope-nope' })
  const unknown = await login({ email: 'nobody-at-all@example.com', password: 'nope-nope-nope' })
  assert.equal(wrong.status, 401)
  assert.deepEqual(wrong.body, unknown.body, 'no workspace ids without the password')

  const ambiguous = await login({ email, password: 'shared secret pass' })
  assert.equal(ambiguous.status, 400, JSON.stringify(ambiguous.body))
  assert.equal(ambiguous.body.error.code, 'AMBIGUOUS_LOGIN')
  assert.deepEqual(ambiguous.body.error.details.workspaceIds.sort(), [a.ws.workspaceId, b.workspaceId].sort())
  assert.deepEqual(
    ambiguous.body.error.details.workspaces.map((w: { name: string }) => w.name).sort(),
    [(await a.ws.get('/api/v1/workspace')).body.name, 'Second Co'].sort(),
  )
  const chosen = await login({ email, password: 'shared secret pass', workspaceId: b.workspaceId })
  assert.equal(chosen.status, 200, JSON.stringify(chosen.body))
  assert.equal(chosen.body.user.workspaceId, b.workspaceId)
  // The third workspace's password opens only that one: no choice to make.
  const third = await login({ email, password: 'another pass entirely' })
  assert.equal(third.status, 200, JSON.stringify(third.body))
  assert.equal(third.body.user.workspaceId, c.workspaceId)
})

test('login attempts are rate limited per client', async () => {
  const { email } = await workspaceWithAgent()
  const statuses: number[] = []
  for (let i = 0; i < 7; i++) statuses.push((await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '192.0.2.77', payload: { email, password: 'wrong-password-x' } })).statusCode)
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401])
  assert.equal(statuses[5], 429)
  const limited = await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '192.0.2.77', payload: { email, password: 'x' } })
  assert.equal(limited.json().error.code, 'RATE_LIMITED')
  // Another client is not affected.
  const other = await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '192.0.2.78', payload: { email, password: 'wrong-password-x' } })
  assert.equal(other.statusCode, 401)
})

test('a deactivated user can no longer sign in or use a session', async () => {
  const { ws, email, password, userId } = await workspaceWithAgent()
  const login = await anon.post('/api/v1/auth/login', { email, password })
  const cookie = (sessionCookie(login.headers['set-cookie']).split(';')[0]) as string
  assert.equal((await ws.patch(`/api/v1/users/${userId}`, { active: false })).status, 200)
  assert.equal((await clientFor(t.omnidesk, null, { cookie }).get('/api/v1/auth/me')).status, 401)
  assert.equal((await anon.post('/api/v1/auth/login', { email, password })).status, 401)
})

test('API tokens: shown once, stored hashed, revocable, expiring', async () => {
  const ws = await t.workspace()
  const created = await ws.post('/api/v1/tokens', { name: 'CI bot' })
  assert.equal(created.status, 201)
  const secret = created.body.secret as string
  assert.match(secret, /^odk_/)
  const stored = await t.database.db.selectFrom('api_tokens').select(['token_hash']).where('id', '=', created.body.token.id).executeTakeFirstOrThrow()
  assert.notEqual(stored.token_hash, secret)
  assert.ok(!JSON.stringify((await ws.get('/api/v1/tokens')).body).includes(secret), 'the list must not show the secret')
  const bot = ws.as(secret)
  assert.equal((await bot.get('/api/v1/auth/me')).status, 200)
  assert.equal((await ws.delete(`/api/v1/tokens/${created.body.token.id}`)).status, 200)
  assert.equal((await bot.get('/api/v1/auth/me')).status, 401)

  const past = await ws.post('/api/v1/tokens', { name: 'old', expiresAt: '2001-01-01T00:00:00Z' })
  assert.equal(past.status, 400)
  const soon = await ws.post('/api/v1/tokens', { name: 'short', expiresAt: new Date(Date.now() + 60_000).toISOString() })
  assert.equal(soon.status, 201)
  await t.database.db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', soon.body.token.id).execute()
  assert.equal((await ws.as(soon.body.secret).get('/api/v1/auth/me')).status, 401)
})

test('an agent may make tokens for itself but not for others', async () => {
  const { ws, userId } = await workspaceWithAgent()
  const forAgent = await ws.post('/api/v1/tokens', { name: 'agent', userId })
  const agent = ws.as(forAgent.body.secret)
  assert.equal((await agent.post('/api/v1/tokens', { name: 'mine' })).status, 201)
  assert.equal((await agent.post('/api/v1/tokens', { name: 'theirs', userId: ws.adminUserId })).status, 403)
})

test('a malformed Authorization header is a clear 401', async () => {
  const res = await anon.request('GET', '/api/v1/auth/me', undefined, { authorization: 'Token abc' })
  assert.equal(res.status, 401)
  assert.match(res.body.error.message, /Bearer/)
})

test('a cached API token is re-checked by every request: revoked, deactivated or re-roled in the database, it is refused at once', async () => {
  const { ws, userId } = await workspaceWithAgent()
  const created = await ws.post('/api/v1/tokens', { name: 'cached', userId })
  assert.equal(created.status, 201)
  const bot = ws.as(created.body.secret)
  const create = () => bot.post('/api/v1/conversations', { contact: { email: `c-${Math.random()}@example.com` }, message: { text: 'hi' } })
  // Looked up, then served from the cache.
  assert.equal((await create()).status, 201)
  assert.equal((await create()).status, 201)
  // Revoked behind the process's back (another node, or SQL): the request's transaction refuses it, and so does /auth/me.
  await t.database.db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', created.body.token.id).execute()
  assert.equal((await create()).status, 401)
  assert.equal((await bot.get('/api/v1/auth/me')).status, 401)
  await t.database.db.updateTable('api_tokens').set({ revoked_at: null }).where('id', '=', created.body.token.id).execute()
  assert.equal((await bot.get('/api/v1/auth/me')).status, 200)
  assert.equal((await bot.get('/api/v1/auth/me')).status, 200, 'cached again')
  await t.database.db.updateTable('users').set({ active: false }).where('id', '=', userId).execute()
  assert.equal((await bot.get('/api/v1/auth/me')).status, 401)
  assert.equal((await create()).status, 401)
  await t.database.db.updateTable('users').set({ active: true }).where('id', '=', userId).execute()
  // A role changed in the database: the cached role is not used; the next lookup has the new one.
  assert.equal((await bot.get('/api/v1/auth/me')).body.role, 'agent')
  await t.database.db.updateTable('users').set({ role: 'auditor' }).where('id', '=', userId).execute()
  assert.equal((await create()).status, 401, 'no create with the old role')
  assert.equal((await bot.get('/api/v1/auth/me')).body.role, 'auditor')
  assert.equal((await create()).status, 403)
  // Through the API a role change also revokes the user's tokens (users module): refused at once.
  assert.equal((await ws.patch(`/api/v1/users/${userId}`, { role: 'agent' })).status, 200)
  assert.equal((await bot.get('/api/v1/auth/me')).status, 401)
})

test('a token revoked through the API is refused by the next request of this process', async () => {
  const ws = await t.workspace()
  const created = await ws.post('/api/v1/tokens', { name: 'revoked' })
  const bot = ws.as(created.body.secret)
  assert.equal((await bot.get('/api/v1/users')).status, 200)
  assert.equal((await bot.get('/api/v1/users')).status, 200)
  assert.equal((await ws.delete(`/api/v1/tokens/${created.body.token.id}`)).status, 200)
  assert.equal((await bot.get('/api/v1/auth/me')).status, 401)
  assert.equal((await bot.get('/api/v1/users')).status, 401)
})
