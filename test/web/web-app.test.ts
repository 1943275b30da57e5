import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { useTestApp } from '../harness.ts'
import { ensureWebBuilt } from './built-app.ts'

// The agent desk served by the API process: pages, assets, the SPA fallback, CSP, and the email view.
before(ensureWebBuilt)
const t = await useTestApp()

const get = (url: string, headers: Record<string, string> = {}) => t.omnidesk.app.inject({ method: 'GET', url, headers })

test('GET / and any app path serve the app with a CSP that forbids inline script', async () => {
  for (const url of ['/', '/inbox/mine', '/inbox', '/admin/users', '/contacts/8d3f0c1e-0000-4000-8000-000000000000', '/cases/8d3f0c1e-0000-4000-8000-000000000000', '/search?q=x']) {
    const res = await get(url)
    assert.equal(res.statusCode, 200, url)
    assert.match(String(res.headers['content-type']), /text\/html/)
    assert.match(res.body, /<div id="root"><\/div>/)
    const csp = String(res.headers['content-security-policy'])
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.match(csp, /img-src 'self' data: blob:/)
    assert.match(csp, /frame-src 'self'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    // Every script is an external file of our origin.
    for (const m of res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(m[1] ?? '', /src="\/assets\//)
      assert.equal(m[2], '')
    }
  }
})

test('assets are served with long caching; missing files, API, webhooks and health are not the app', async () => {
  const page = await get('/')
  const js = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1]
  assert.ok(js)
  const asset = await get(js)
  assert.equal(asset.statusCode, 200)
  assert.match(String(asset.headers['content-type']), /javascript/)
  assert.match(String(asset.headers['cache-control']), /immutable/)
  assert.equal((await get('/assets/nope-123.js')).statusCode, 404)
  assert.equal((await get('/favicon.png')).statusCode, 404)
  const typo = await get('/nowhere?x=1')
  assert.equal(typo.statusCode, 404)
  assert.equal(JSON.parse(typo.body).error.code, 'NOT_FOUND')
  assert.equal((await t.admin.get('/api/v1/no-such-route?x=1')).status, 404)
  assert.equal((await get('/assets/../../package.json')).statusCode, 404)
  const api = await t.admin.get('/api/v1/nothing-here')
  assert.equal(api.status, 404)
  assert.equal(api.body.error.code, 'NOT_FOUND')
  assert.equal((await get('/webhooks/twilio/x')).statusCode, 404)
  assert.equal((await get('/health')).statusCode, 200)
  // API answers keep the API's own headers (no app CSP with frame-src).
  const me = await t.admin.get('/api/v1/auth/me')
  assert.equal(me.status, 200)
  assert.doesNotMatch(String(me.headers['content-security-policy']), /frame-src/)
})

test('16 concurrent clients load the page and its assets', async () => {
  const page = await get('/')
  const assets = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string)
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => get(i % 2 ? '/inbox/all' : (assets[i % assets.length] ?? '/'))))
  for (const r of results) assert.equal(r.statusCode, 200)
})

test('an email is shown from a document that runs nothing and blocks remote images until asked', async () => {
  const a = await t.workspace()
  const html = '<p>Hello <b>there</b></p><img src="https://tracker.example/p.gif"><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
  const c = (await a.post('/api/v1/conversations', { contact: { email: 'html@example.com' }, subject: 'HTML', message: { html } })).body
  const msg = (await a.get(`/api/v1/conversations/${c.id}/messages`)).body.items[0]
  const url = `/api/v1/conversations/${c.id}/messages/${msg.id}/html`
  const res = await get(url, { authorization: `Bearer ${a.token}` })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /text\/html/)
  const csp = String(res.headers['content-security-policy'])
  assert.match(csp, /default-src 'none'/)
  assert.match(csp, /(^|; )sandbox(;|$)/)
  assert.match(csp, /img-src data:(;|$)/)
  assert.doesNotMatch(csp, /script-src/)
  assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  assert.match(res.body, /<b>there<\/b>/)
  assert.doesNotMatch(res.body, /<script|onerror/i)
  const remote = await get(`${url}?remoteImages=1`, { authorization: `Bearer ${a.token}` })
  assert.match(String(remote.headers['content-security-policy']), /img-src data: https: http:/)
  assert.match(String(remote.headers['content-security-policy']), /sandbox/)

  // Another workspace, or nobody, cannot read it.
  const b = await t.workspace()
  const other = await get(url, { authorization: `Bearer ${b.token}` })
  assert.equal(other.statusCode, 404)
  assert.equal(JSON.parse(other.body).error.code, 'NOT_FOUND')
  assert.equal((await get(url)).statusCode, 401)
})
