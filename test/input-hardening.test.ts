import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { test } from 'node:test'
import { errorCatalogue } from '../src/platform/errors.ts'
import { useTestApp, type WorkspaceClient } from './harness.ts'

// Issue #6, "Bad input that returns 500": hostile input is refused at the edge
// with the standard error body, and text is stored exactly as sent.
const t = await useTestApp()
await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const { port } = t.omnidesk.app.server.address() as net.AddressInfo

const raw = (ws: WorkspaceClient, method: 'POST' | 'PATCH', url: string, payload: string | Buffer, contentType = 'application/json') =>
  t.omnidesk.app.inject({ method, url, headers: { authorization: `Bearer ${ws.token}`, 'content-type': contentType }, payload })

async function conversation(ws: WorkspaceClient, text = 'hello') {
  const res = await ws.post('/api/v1/conversations', { contact: { email: `c${Math.random().toString(36).slice(2)}@example.com` }, message: { text } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body as { id: string; contactId: string }
}

/** The workspace's default API inbox (created with its first conversation). */
async function apiInboxId(ws: WorkspaceClient): Promise<string> {
  const res = await ws.get('/api/v1/inboxes?channel=api')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items[0].id
}

/** One request over a real socket; resolves with the whole raw answer. */
function rawHttp(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request))
    let answer = ''
    socket.on('data', (d) => (answer += d.toString('utf8')))
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

const assertRefused = (res: { status: number; body: { error?: { code: string; details?: Array<{ field: string }> } } }, code: string, field?: string, label = '') => {
  assert.equal(res.status, code === 'UNSUPPORTED_MEDIA_TYPE' ? 415 : 400, `${label}: ${JSON.stringify(res.body)}`)
  assert.equal(res.body.error?.code, code, label)
  if (field) assert.ok(res.body.error?.details?.some((d) => d.field === field), `${label}: expected field ${field} in ${JSON.stringify(res.body.error?.details)}`)
}

test('a NUL character in a body, a key or a query string is a 400 naming the field, never a 500', async () => {
  const ws = await t.workspace()
  const contact = (await ws.post('/api/v1/contacts', { name: 'Ada' })).body
  const conv = await conversation(ws)
  const inboxId = await apiInboxId(ws)
  const cases: Array<[string, () => ReturnType<WorkspaceClient['get']>, string]> = [
    ['attribute value on POST', () => ws.post('/api/v1/contacts', { name: 'X', attributes: { plan: 'gold\u0000' } }), 'body.attributes.plan'],
    ['attribute key on POST', () => ws.post('/api/v1/contacts', { name: 'X', attributes: { 'pl\u0000an': 'gold' } }), 'body.attributes.pl\\u0000an'],
    ['nested attribute on PATCH', () => ws.patch(`/api/v1/contacts/${contact.id}`, { attributes: { a: { b: ['ok', 'n\u0000'] } } }), 'body.attributes.a.b.1'],
    ['attribute key on PATCH', () => ws.patch(`/api/v1/contacts/${contact.id}`, { attributes: { '\u0000': 1 } }), 'body.attributes.\\u0000'],
    ['message html', () => ws.post(`/api/v1/conversations/${conv.id}/messages`, { html: '<p>hi\u0000</p>' }), 'body.html'],
    ['inbound metadata', () => ws.post(`/api/v1/inboxes/${inboxId}/messages`, { contact: { name: 'C' }, text: 'hi', metadata: { k: 'v\u0000' } }), 'body.metadata.k'],
    ['providerMessageId', () => ws.post(`/api/v1/inboxes/${inboxId}/messages`, { contact: { name: 'C' }, text: 'hi', providerMessageId: 'id\u0000' }), 'body.providerMessageId'],
    ['workspace name', () => ws.patch('/api/v1/workspace', { name: 'Acme\u0000' }), 'body.name'],
    ['contacts query', () => ws.get('/api/v1/contacts?query=%00'), 'querystring.query'],
    ['tags query', () => ws.get('/api/v1/tags?q=a%00'), 'querystring.q'],
    ['audit action', () => ws.get('/api/v1/audit-events?action=%00'), 'querystring.action'],
    ['path parameter', () => ws.delete(`/api/v1/tags/a%00b`), 'params.name'],
  ]
  for (const [label, send, field] of cases) assertRefused(await send(), 'VALIDATION_FAILED', field, label)
  // A lone surrogate cannot be stored as UTF-8 either.
  const lone = await raw(ws, 'PATCH', `/api/v1/contacts/${contact.id}`, '{"attributes":{"a":"\\ud800"}}')
  assertRefused({ status: lone.statusCode, body: lone.json() }, 'VALIDATION_FAILED', 'body.attributes.a', 'lone surrogate')
  assert.deepEqual((await ws.get(`/api/v1/contacts/${contact.id}`)).body.attributes, {})
})

test('deeply nested JSON is a 400 before anything walks it; 32 levels are fine', async () => {
  const ws = await t.workspace()
  const objects = `{"name":"X","attributes":{"a":${'{"b":'.repeat(5000)}1${'}'.repeat(5000)}}}`
  const arrays = `{"name":"X","attributes":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`
  for (const [label, body] of [['5,000 objects', objects], ['100k arrays', arrays]] as const) {
    const res = await raw(ws, 'POST', '/api/v1/contacts', body)
    assertRefused({ status: res.statusCode, body: res.json() }, 'VALIDATION_FAILED', 'body', label)
    assert.match(res.json().error.message, /32 levels/)
  }
  // Body (1) > attributes (2) > a (3) … 32 levels in all.
  const deepest = { name: 'Deep', attributes: { a: JSON.parse(`${'['.repeat(30)}${']'.repeat(30)}`) } }
  assert.equal((await ws.post('/api/v1/contacts', deepest)).status, 201)
  const tooDeep = { name: 'Deep', attributes: { a: JSON.parse(`${'['.repeat(31)}${']'.repeat(31)}`) } }
  assertRefused(await ws.post('/api/v1/contacts', tooDeep), 'VALIDATION_FAILED', 'body', 'level 33')
})

test('free-form JSON fields are bounded in size', async () => {
  const ws = await t.workspace()
  const conv = await conversation(ws)
  const inboxId = await apiInboxId(ws)
  const big = 'x'.repeat(20 * 1024)
  assertRefused(await ws.post(`/api/v1/inboxes/${inboxId}/messages`, { contact: { name: 'C' }, text: 'hi', metadata: { big } }), 'VALIDATION_FAILED', 'body.metadata', 'metadata')
  assertRefused(await ws.patch(`/api/v1/conversations/${conv.id}`, { customFields: { big: big + big } }), 'VALIDATION_FAILED', 'body.customFields', 'customFields')
  assertRefused(await ws.post('/api/v1/contacts', { name: 'X', attributes: { big: big + big } }), 'VALIDATION_FAILED', 'body.attributes', 'attributes')
})

test('an over-long cursor is a 400 INVALID_CURSOR; over the HTTP header limit it is a 431 in our error shape', async () => {
  const ws = await t.workspace()
  const long = 'a'.repeat(100 * 1024)
  assertRefused(await ws.get(`/api/v1/contacts?cursor=${long}`), 'INVALID_CURSOR', undefined, 'inject')
  assertRefused(await ws.get(`/api/v1/contacts?cursor=${'a'.repeat(2000)}`), 'INVALID_CURSOR', undefined, '2 kB')
  const answer = await rawHttp(`GET /api/v1/contacts?cursor=${long} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${ws.token}\r\n\r\n`)
  assert.match(answer, /^HTTP\/1\.1 431 /)
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
  assert.equal(body.error.code, 'HEADERS_TOO_LARGE')
  assert.equal(typeof body.error.message, 'string')
  const garbage = await rawHttp('NOT HTTP AT ALL\r\n\r\n')
  assert.match(garbage, /^HTTP\/1\.1 400 /)
  assert.equal(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)).error.code, 'MALFORMED_REQUEST')
})

test('a cursor is bound to its list: another list, other filters or another conversation refuse it', async () => {
  const ws = await t.workspace()
  for (const name of ['A', 'B', 'C']) await ws.post('/api/v1/contacts', { name })
  for (const email of ['a@example.com', 'b@example.com']) await ws.post('/api/v1/users', { email, name: email, role: 'agent' })
  const contactsCursor = (await ws.get('/api/v1/contacts?limit=1')).body.nextCursor
  assert.ok(contactsCursor)
  // The same list goes on, whatever the page size.
  assert.equal((await ws.get(`/api/v1/contacts?limit=2&cursor=${encodeURIComponent(contactsCursor)}`)).status, 200)
  assertRefused(await ws.get(`/api/v1/users?cursor=${encodeURIComponent(contactsCursor)}`), 'INVALID_CURSOR', undefined, 'contacts → users')
  assertRefused(await ws.get(`/api/v1/contacts?query=A&cursor=${encodeURIComponent(contactsCursor)}`), 'INVALID_CURSOR', undefined, 'other filter')

  const a = await conversation(ws)
  const b = await conversation(ws)
  for (let i = 0; i < 2; i++) await ws.post(`/api/v1/conversations/${a.id}/messages`, { text: `reply ${i}`, private: true })
  for (let i = 0; i < 2; i++) await ws.post(`/api/v1/conversations/${b.id}/messages`, { text: `reply ${i}`, private: true })
  const messagesCursor = (await ws.get(`/api/v1/conversations/${a.id}/messages?limit=1`)).body.nextCursor
  assert.ok(messagesCursor)
  assert.equal((await ws.get(`/api/v1/conversations/${a.id}/messages?limit=1&cursor=${encodeURIComponent(messagesCursor)}`)).status, 200)
  assertRefused(await ws.get(`/api/v1/conversations/${b.id}/messages?cursor=${encodeURIComponent(messagesCursor)}`), 'INVALID_CURSOR', undefined, 'other conversation')
  const openCursor = (await ws.get('/api/v1/conversations?limit=1&status=open')).body.nextCursor
  assert.ok(openCursor)
  assertRefused(await ws.get(`/api/v1/conversations?status=pending&cursor=${encodeURIComponent(openCursor)}`), 'INVALID_CURSOR', undefined, 'other status')
  assertRefused(await ws.get(`/api/v1/conversations?cursor=${encodeURIComponent(openCursor)}`), 'INVALID_CURSOR', undefined, 'filter dropped')
})

test('unknown query parameters are refused, on lists and on routes without a query', async () => {
  const ws = await t.workspace()
  const conv = await conversation(ws)
  assertRefused(await ws.get('/api/v1/contacts?qeury=ada'), 'VALIDATION_FAILED', 'querystring.qeury', 'list')
  assertRefused(await ws.get(`/api/v1/conversations/${conv.id}?expand=all`), 'VALIDATION_FAILED', 'querystring.expand', 'no query schema')
  assertRefused(await ws.get('/api/v1/workspace?x=1'), 'VALIDATION_FAILED', 'querystring.x', 'workspace')
  assert.equal((await ws.get('/api/v1/contacts?query=ada&limit=5')).status, 200)
  assert.equal((await ws.get('/api/v1/no-such-route?x=1')).status, 404, 'no route is a 404 whatever the query')
})

test('a body that is not JSON is a 415 UNSUPPORTED_MEDIA_TYPE, text/plain included', async () => {
  const ws = await t.workspace()
  for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await raw(ws, 'POST', '/api/v1/contacts', '{"name":"X"}', type)
    assertRefused({ status: res.statusCode, body: res.json() }, 'UNSUPPORTED_MEDIA_TYPE', undefined, type)
  }
  assert.equal((await raw(ws, 'POST', '/api/v1/contacts', '{"name":"X"}', 'application/json; charset=utf-8')).statusCode, 201)
})

test('message text is stored exactly as sent; invalid UTF-8 is refused, not replaced', async () => {
  const ws = await t.workspace()
  const text = '  hello \n'
  const conv = await conversation(ws, '\tindented first line\n\n')
  const reply = await ws.post(`/api/v1/conversations/${conv.id}/messages`, { text, private: true })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.text, text)
  const messages = (await ws.get(`/api/v1/conversations/${conv.id}/messages`)).body.items.map((m: { text: string }) => m.text)
  assert.deepEqual(messages, ['\tindented first line\n\n', text])
  // Names are still trimmed.
  assert.equal((await ws.post('/api/v1/contacts', { name: '  Ada  ' })).body.name, 'Ada')
  // Whitespace alone is no message.
  assertRefused(await ws.post(`/api/v1/conversations/${conv.id}/messages`, { text: ' \n ' }), 'VALIDATION_FAILED', 'body.text', 'blank')

  const bytes = Buffer.concat([Buffer.from('{"text":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' bytes","private":true}')])
  const bad = await raw(ws, 'POST', `/api/v1/conversations/${conv.id}/messages`, bytes)
  assertRefused({ status: bad.statusCode, body: bad.json() }, 'INVALID_JSON', undefined, '0xff')
  const good = await raw(ws, 'POST', `/api/v1/conversations/${conv.id}/messages`, Buffer.from('{"text":"ünïcødé 🛟","private":true}'))
  assert.equal(good.json().text, 'ünïcødé 🛟')
  assert.equal((await ws.get(`/api/v1/conversations/${conv.id}/messages`)).body.items.length, 3)
})

test('docs/api.md lists every error code of the catalogue with its status', () => {
  const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8')
  const documented = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]))
  for (const [code, status] of Object.entries(errorCatalogue)) assert.equal(documented.get(code), status, `${code} (${status}) in docs/api.md`)
  for (const code of documented.keys()) assert.ok(Object.hasOwn(errorCatalogue, code as string), `${code} is documented but not in the catalogue`)
})
