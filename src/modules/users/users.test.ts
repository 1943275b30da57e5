import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'

const t = await useTestApp()

test('admins create users with roles; passwords are argon2 hashes, never returned', async () => {
  const ws = await t.workspace()
  const res = await ws.post('/api/v1/users', { email: 'Sup@Example.com', name: 'Sue', role: 'supervisor', password: 'a long enough password' })
  assert.equal(res.status, 201)
  assert.equal(res.body.email, 'sup@example.com')
  assert.equal(res.body.password, undefined)
  assert.equal(res.body.passwordHash, undefined)
  const row = await t.database.db.selectFrom('users').select('password_hash').where('id', '=', res.body.id).executeTakeFirstOrThrow()
  assert.match(row.password_hash ?? '', /^\$argon2id\$/)
  const dup = await ws.post('/api/v1/users', { email: 'sup@example.com', name: 'Again', role: 'agent' })
  assert.equal(dup.status, 409)
})

test('user list pages with signed cursors', async () => {
  const ws = await t.workspace()
  for (let i = 0; i < 5; i++) await ws.post('/api/v1/users', { email: `u${i}@example.com`, name: `U${i}`, role: 'agent' })
  const first = await ws.get('/api/v1/users?limit=4')
  assert.equal(first.body.items.length, 4)
  assert.ok(first.body.nextCursor)
  const second = await ws.get(`/api/v1/users?limit=4&cursor=${encodeURIComponent(first.body.nextCursor)}`)
  assert.equal(second.body.items.length, 2) // 5 users + the workspace admin
  assert.equal(second.body.nextCursor, null)
  const ids = [...first.body.items, ...second.body.items].map((u: { id: string }) => u.id)
  assert.equal(new Set(ids).size, 6)
  const tampered = await ws.get(`/api/v1/users?cursor=${encodeURIComponent(first.body.nextCursor.replace(/^./, 'x'))}`)
  assert.equal(tampered.status, 400)
  assert.equal(tampered.body.error.code, 'INVALID_CURSOR')
})

test('role matrix: agents cannot administer, auditors cannot write, only owners grant owner', async () => {
  const ws = await t.workspace()
  const mk = async (role: string) => {
    const u = await ws.post('/api/v1/users', { email: `${role}@example.com`, name: role, role })
    const tok = await ws.post('/api/v1/tokens', { name: role, userId: u.body.id })
    return ws.as(tok.body.secret)
  }
  const agent = await mk('agent')
  const auditor = await mk('auditor')
  const supervisor = await mk('supervisor')
  assert.equal((await agent.post('/api/v1/users', { email: 'x@example.com', name: 'X', role: 'agent' })).status, 403)
  assert.equal((await agent.get('/api/v1/audit-events')).status, 403)
  assert.equal((await auditor.get('/api/v1/audit-events')).status, 200)
  assert.equal((await auditor.post('/api/v1/teams', { name: 'Nope' })).status, 403)
  assert.equal((await supervisor.post('/api/v1/teams', { name: 'Tier 2' })).status, 201)
  assert.equal((await supervisor.patch('/api/v1/workspace', { name: 'Hijack' })).status, 403)
  // The workspace admin is an admin, not an owner: it may not mint owners.
  assert.equal((await ws.post('/api/v1/users', { email: 'o@example.com', name: 'O', role: 'owner' })).status, 403)
})

test('teams hold members of the same workspace only', async () => {
  const ws = await t.workspace()
  const other = await t.workspace()
  const u = await ws.post('/api/v1/users', { email: 'm@example.com', name: 'M', role: 'agent' })
  const foreign = await other.post('/api/v1/users', { email: 'f@example.com', name: 'F', role: 'agent' })
  const team = await ws.post('/api/v1/teams', { name: 'Billing', memberIds: [u.body.id] })
  assert.equal(team.status, 201)
  assert.deepEqual(team.body.memberIds, [u.body.id])
  const bad = await ws.patch(`/api/v1/teams/${team.body.id}`, { memberIds: [foreign.body.id] })
  assert.equal(bad.status, 400)
  assert.deepEqual((await ws.get(`/api/v1/teams/${team.body.id}`)).body.memberIds, [u.body.id], 'a refused change leaves members as they were')
  assert.equal((await other.get(`/api/v1/teams/${team.body.id}`)).status, 404)
  assert.equal((await ws.post('/api/v1/teams', { name: 'Billing' })).status, 409)
})
