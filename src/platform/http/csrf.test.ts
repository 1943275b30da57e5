import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clientFor, useTestApp } from '../../../test/harness.ts'

const t = await useTestApp()
const password = 'correct horse battery'
let n = 0

async function signedIn() {
  const ws = await t.workspace()
  const email = `csrf-${++n}@example.com`
  assert.equal((await ws.post('/api/v1/users', { email, name: 'Csrf', role: 'agent', password })).status, 201)
  const res = await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: `10.77.0.${n}` })
  assert.equal(res.statusCode, 200, res.body)
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
  const session = cookies.find((c) => c.startsWith('omnidesk_session=')) as string
  const csrf = cookies.find((c) => c.startsWith('omnidesk_csrf=')) as string
  return { ws, session, csrf, sessionPair: session.split(';')[0] as string, csrfPair: csrf.split(';')[0] as string, token: (csrf.split(';')[0] as string).slice('omnidesk_csrf='.length) }
}

test('login sets an HttpOnly SameSite session cookie and a readable SameSite=Strict CSRF cookie', async () => {
  const s = await signedIn()
  assert.match(s.session, /HttpOnly/i)
  assert.match(s.session, /SameSite=(Lax|Strict)/i)
  assert.doesNotMatch(s.csrf, /HttpOnly/i)
  assert.match(s.csrf, /SameSite=Strict/i)
  assert.ok(s.token.length >= 22, 'at least 128 bits')
})

test('cookie-authenticated writes need x-csrf-token equal to the cookie; reads and bearer requests do not', async () => {
  const s = await signedIn()
  const browser = clientFor(t.omnidesk, null, { cookie: `${s.sessionPair}; ${s.csrfPair}` })
  const body = { contact: { name: 'Ada' }, message: { text: 'hello' } }

  assert.equal((await browser.get('/api/v1/conversations')).status, 200, 'a read needs no header')
  const missing = await browser.post('/api/v1/conversations', body)
  assert.equal(missing.status, 403)
  assert.equal(missing.body.error.code, 'CSRF_TOKEN_INVALID')
  const wrong = await browser.post('/api/v1/conversations', body, { 'x-csrf-token': 'x'.repeat(s.token.length) })
  assert.equal(wrong.status, 403)
  assert.equal(wrong.body.error.code, 'CSRF_TOKEN_INVALID')
  // A planted cookie with a matching header does not help: the token is bound to the session.
  const planted = await clientFor(t.omnidesk, null, { cookie: `${s.sessionPair}; omnidesk_csrf=attacker` }).post('/api/v1/conversations', body, { 'x-csrf-token': 'attacker' })
  assert.equal(planted.status, 403)
  // Nothing was written by the refused requests.
  assert.equal((await s.ws.get('/api/v1/conversations')).body.items.length, 0)

  const ok = await browser.post('/api/v1/conversations', body, { 'x-csrf-token': s.token })
  assert.equal(ok.status, 201, JSON.stringify(ok.body))
  const patched = await browser.request('PATCH', `/api/v1/conversations/${ok.body.id}`, { priority: 'high' }, { 'x-csrf-token': s.token })
  assert.equal(patched.status, 200)

  // Bearer tokens are exempt.
  assert.equal((await s.ws.post('/api/v1/conversations', body)).status, 201)
})

test("one session's CSRF token does not work with another session", async () => {
  const a = await signedIn()
  const b = await signedIn()
  assert.notEqual(a.token, b.token)
  const res = await clientFor(t.omnidesk, null, { cookie: `${a.sessionPair}; ${b.csrfPair}` }).post('/api/v1/auth/logout', {}, { 'x-csrf-token': b.token })
  assert.equal(res.status, 403)
  assert.equal((await clientFor(t.omnidesk, null, { cookie: a.sessionPair }).get('/api/v1/auth/me')).status, 200, 'the session is still alive')
})

test('a session without the CSRF cookie gets it on its next request', async () => {
  const s = await signedIn()
  const res = await clientFor(t.omnidesk, null, { cookie: s.sessionPair }).get('/api/v1/auth/me')
  assert.equal(res.status, 200)
  const reissued = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('omnidesk_csrf='))
  assert.equal(reissued?.split(';')[0], s.csrfPair)
})
