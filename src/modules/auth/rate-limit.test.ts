import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'

// A tiny API limit, so that a handful of requests reach it.
const t = await useTestApp({ API_RATE_LIMIT: '5', LOGIN_RATE_LIMIT: '3' })

const inject = (headers: Record<string, string>, remoteAddress = '192.0.2.10') =>
  t.omnidesk.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers, remoteAddress })

test('spelling the Authorization header differently does not open a fresh bucket', async () => {
  const ws = await t.workspace()
  const tok = (await ws.post('/api/v1/tokens', { name: 'spelling' })).body.secret as string
  const spellings = [`Bearer ${tok}`, `bearer ${tok}`, `BEARER ${tok}`, `Bearer  ${tok}`, `Bearer ${tok} `]
  const statuses: number[] = []
  for (const s of [...spellings, `bearer ${tok}`]) statuses.push((await inject({ authorization: s })).statusCode)
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429])
  // Another token of the same workspace has its own bucket.
  const other = (await ws.post('/api/v1/tokens', { name: 'other' })).body.secret as string
  assert.equal((await inject({ authorization: `Bearer ${other}` })).statusCode, 200)
})

test('requests without valid credentials are limited per client address, invalid tokens included', async () => {
  const addr = '198.51.100.7'
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await inject({}, addr)).statusCode)
  statuses.push((await inject({ authorization: 'Bearer odk_not-a-real-token' }, addr)).statusCode)
  statuses.push((await inject({ authorization: 'Token malformed' }, addr)).statusCode)
  assert.deepEqual(statuses, [401, 401, 401, 401, 401])
  const limited = await inject({ authorization: `Bearer odk_another-guess` }, addr)
  assert.equal(limited.statusCode, 429)
  assert.equal(limited.json().error.code, 'RATE_LIMITED')
  assert.match(limited.json().error.message, /the limit is 5 per minute; retry in \d+ s/)
  assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After is set')
  // Another address is not affected, nor is a valid token sent from the limited address.
  assert.equal((await inject({}, '198.51.100.8')).statusCode, 401)
  assert.equal((await inject({ authorization: `Bearer ${t.adminToken}` }, addr)).statusCode, 200)
})

test('a session is limited per user, whatever the address', async () => {
  const ws = await t.workspace()
  const email = `rl-${ws.workspaceId.slice(0, 8)}@example.com`
  const password = 'correct horse battery'
  assert.equal((await ws.post('/api/v1/users', { email, name: 'Rl', role: 'agent', password })).status, 201)
  const login = await t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.1', payload: { email, password } })
  assert.equal(login.statusCode, 200)
  const cookie = String(([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith('omnidesk_session='))).split(';')[0] as string
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) statuses.push((await inject({ cookie }, `203.0.113.${10 + i}`)).statusCode)
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429])
})
