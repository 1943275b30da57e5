import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clientFor, useTestApp } from '../../../test/harness.ts'

const t = await useTestApp()

test('health answers once the process can serve', async () => {
  const res = await clientFor(t.omnidesk, null).get('/health')
  assert.equal(res.status, 200)
  assert.equal(res.body.status, 'ok')
})

test('the instance owner creates a workspace and gets an admin token of it', async () => {
  const res = await t.admin.post('/api/v1/workspaces', { name: 'Acme', timeZone: 'Europe/Paris', dataRegion: 'eu' })
  assert.equal(res.status, 201)
  assert.equal(res.body.workspace.name, 'Acme')
  assert.equal(res.body.workspace.timeZone, 'Europe/Paris')
  assert.match(res.body.token, /^odk_/)
  const acme = clientFor(t.omnidesk, res.body.token)
  const me = await acme.get('/api/v1/auth/me')
  assert.equal(me.status, 200)
  assert.equal(me.body.workspaceId, res.body.workspace.id)
  assert.equal(me.body.role, 'admin')
  assert.equal(me.body.instanceOwner, false)
  const ws = await acme.get('/api/v1/workspace')
  assert.equal(ws.body.name, 'Acme')
})

test('only the instance owner may create workspaces', async () => {
  const acme = await t.workspace()
  const res = await acme.post('/api/v1/workspaces', { name: 'Sneaky' })
  assert.equal(res.status, 403)
  assert.equal(res.body.error.code, 'FORBIDDEN')
})

test('bad workspace settings are refused with the failing fields', async () => {
  const res = await t.admin.post('/api/v1/workspaces', { name: '', timeZone: 'Mars/Olympus', extra: 1 })
  assert.equal(res.status, 400)
  assert.equal(res.body.error.code, 'VALIDATION_FAILED')
  const fields = res.body.error.details.map((d: { field: string }) => d.field)
  assert.ok(fields.includes('body.name'), JSON.stringify(fields))
  assert.ok(fields.includes('body.timeZone'), JSON.stringify(fields))
})

test('settings update is audited with before and after', async () => {
  const acme = await t.workspace()
  const res = await acme.patch('/api/v1/workspace', { timeZone: 'America/New_York' })
  assert.equal(res.status, 200)
  assert.equal(res.body.timeZone, 'America/New_York')
  const audit = await acme.get('/api/v1/audit-events?action=workspace.updated')
  assert.equal(audit.status, 200)
  assert.equal(audit.body.items.length, 1)
  assert.equal(audit.body.items[0].changes.before.timeZone, 'UTC')
  assert.equal(audit.body.items[0].changes.after.timeZone, 'America/New_York')
})

test('requests without credentials, or with bad ones, are 401', async () => {
  const anon = clientFor(t.omnidesk, null)
  assert.equal((await anon.get('/api/v1/workspace')).status, 401)
  const bad = clientFor(t.omnidesk, 'odk_not-a-real-token')
  const res = await bad.get('/api/v1/workspace')
  assert.equal(res.status, 401)
  assert.equal(res.body.error.code, 'UNAUTHENTICATED')
})

test('the OpenAPI document describes the API', async () => {
  const res = await clientFor(t.omnidesk, null).get('/api/openapi.json')
  assert.equal(res.status, 200)
  assert.equal(res.body.openapi, '3.1.0')
  assert.ok(res.body.paths['/api/v1/workspaces'])
})
