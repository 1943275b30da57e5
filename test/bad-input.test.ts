import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from './harness.ts'

// Bad input at the HTTP boundary: every case is a 4xx with the error envelope,
// and nothing is written.
const t = await useTestApp({ BODY_LIMIT: '4096' })

const teamCount = async (workspaceId: string) =>
  Number((await t.database.db.selectFrom('teams').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow()).n)

const raw = (token: string, payload: string, contentType = 'application/json') =>
  t.omnidesk.app.inject({ method: 'POST', url: '/api/v1/teams', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload })

test('malformed JSON is a 400 INVALID_JSON', async () => {
  const ws = await t.workspace()
  for (const body of ['{"name": "x"', '{name: "x"}', "{'name':'x'}", '']) {
    const res = await raw(ws.token, body)
    assert.equal(res.statusCode, 400, body)
    assert.ok(['INVALID_JSON', 'VALIDATION_FAILED'].includes(res.json().error.code), `${body}: ${res.body}`)
  }
  assert.equal(await teamCount(ws.workspaceId), 0)
})

test('wrong types, unknown fields and missing fields name the field', async () => {
  const ws = await t.workspace()
  const cases: Array<[unknown, string]> = [
    [{ name: 42 }, 'body.name'],
    [{ name: 'ok', colour: 'red' }, 'body'],
    [{}, 'body.name'],
    [{ name: 'ok', memberIds: ['not-a-uuid'] }, 'body.memberIds.0'],
    [[{ name: 'array' }], 'body'],
  ]
  for (const [body, field] of cases) {
    const res = await ws.post('/api/v1/teams', body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.equal(res.body.error.code, 'VALIDATION_FAILED')
    assert.ok(res.body.error.details.some((d: { field: string }) => d.field === field), `${JSON.stringify(body)} → ${JSON.stringify(res.body.error.details)}`)
  }
  assert.equal(await teamCount(ws.workspaceId), 0)
})

test('an oversize body is a 413 with the limit in the message', async () => {
  const ws = await t.workspace()
  const res = await raw(ws.token, JSON.stringify({ name: 'x', description: 'y'.repeat(10_000) }))
  assert.equal(res.statusCode, 413)
  assert.equal(res.json().error.code, 'PAYLOAD_TOO_LARGE')
  assert.match(res.json().error.message, /4096/)
  assert.equal(await teamCount(ws.workspaceId), 0)
})

test('a non-JSON content type is a 415', async () => {
  const ws = await t.workspace()
  const res = await raw(ws.token, 'name=x', 'application/x-www-form-urlencoded')
  assert.equal(res.statusCode, 415)
  assert.equal(res.json().error.code, 'UNSUPPORTED_MEDIA_TYPE')
})

test('SQL-looking strings are stored as text, not run', async () => {
  const ws = await t.workspace()
  const name = "Robert'); DROP TABLE teams;--"
  const res = await ws.post('/api/v1/teams', { name })
  assert.equal(res.status, 201)
  assert.equal((await ws.get(`/api/v1/teams/${res.body.id}`)).body.name, name)
  const sneaky = await ws.get("/api/v1/teams/1' OR '1'='1")
  assert.equal(sneaky.status, 400)
  assert.equal(await teamCount(ws.workspaceId), 1)
})

test('Unicode edge cases: emoji and RTL are kept; NUL and control characters are refused', async () => {
  const ws = await t.workspace()
  const fine = await ws.post('/api/v1/teams', { name: 'Soporte 🛟 دعم 支持' })
  assert.equal(fine.status, 201)
  assert.equal(fine.body.name, 'Soporte 🛟 دعم 支持')
  for (const name of ['nul\u0000byte', 'bell\u0007', '   ']) {
    const res = await ws.post('/api/v1/teams', { name })
    assert.equal(res.status, 400, JSON.stringify(name))
  }
  const lone = await raw(ws.token, '{"name":"lone \\ud800 surrogate"}')
  assert.equal(lone.statusCode, 400, `lone surrogate: ${lone.body}`)
  assert.equal(await teamCount(ws.workspaceId), 1)
})

test('unknown routes and bad ids are JSON 4xx, not HTML', async () => {
  const ws = await t.workspace()
  const missing = await ws.get('/api/v1/nothing-here')
  assert.equal(missing.status, 404)
  assert.equal(missing.body.error.code, 'NOT_FOUND')
  const badId = await ws.get('/api/v1/teams/123')
  assert.equal(badId.status, 400)
  const unknownId = await ws.get('/api/v1/teams/00000000-0000-4000-8000-000000000000')
  assert.equal(unknownId.status, 404)
})
