import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestApp, useTestApp } from '../../../test/harness.ts'

const t = await useTestApp()

const baseline = (headers: Record<string, unknown>, what: string) => {
  assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
  assert.equal(headers['x-frame-options'], 'DENY', `${what}: frame policy`)
  assert.equal(headers['referrer-policy'], 'no-referrer', `${what}: referrer policy`)
  assert.match(String(headers['content-security-policy']), /frame-ancestors 'none'/, `${what}: CSP`)
}

test('API answers carry the security headers, errors and unauthenticated ones included; no HSTS on plain http', async () => {
  const ws = await t.workspace()
  for (const [what, res] of [
    ['200', await ws.get('/api/v1/auth/me')],
    ['401', await t.omnidesk.app.inject({ method: 'GET', url: '/api/v1/conversations' })],
    ['404', await t.omnidesk.app.inject({ method: 'GET', url: '/nowhere' })],
    ['health', await t.omnidesk.app.inject({ method: 'GET', url: '/health' })],
    ['openapi', await t.omnidesk.app.inject({ method: 'GET', url: '/api/openapi.json' })],
  ] as const) {
    baseline(res.headers, what)
    assert.equal(res.headers['strict-transport-security'], undefined, `${what}: no HSTS without an https PUBLIC_URL`)
    assert.doesNotMatch(String(res.headers['content-security-policy']), /upgrade-insecure-requests/)
  }
})

test('the API docs page loads under its CSP: HTML and every script it references answer 200 from our origin', async () => {
  const page = await t.omnidesk.app.inject({ method: 'GET', url: '/api/docs/' })
  assert.equal(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /text\/html/)
  baseline(page.headers, 'docs')
  const csp = String(page.headers['content-security-policy'])
  assert.match(csp, /script-src 'self'/)
  const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
  assert.ok(scripts.length >= 2, 'the page loads its scripts')
  for (const [, attrs, inline] of scripts) {
    assert.equal((inline ?? '').trim(), '', 'no inline script (the CSP would block it)')
    const src = /src="([^"]+)"/.exec(attrs ?? '')?.[1] ?? ''
    assert.doesNotMatch(src, /^[a-z]+:|^\/\//i, `same-origin script: ${src}`)
    const url = new URL(src, 'http://omnidesk.test/api/docs/').pathname
    const js = await t.omnidesk.app.inject({ method: 'GET', url })
    assert.equal(js.statusCode, 200, url)
    assert.match(String(js.headers['content-type']), /javascript/, url)
    assert.equal(js.headers['x-content-type-options'], 'nosniff', url)
  }
})

test('HSTS and upgrade-insecure-requests only when PUBLIC_URL is https', async () => {
  const secure = await startTestApp({ PUBLIC_URL: 'https://desk.example.com' })
  try {
    const res = await secure.omnidesk.app.inject({ method: 'GET', url: '/health' })
    assert.match(String(res.headers['strict-transport-security']), /max-age=31536000/)
    assert.match(String(res.headers['content-security-policy']), /upgrade-insecure-requests/)
  } finally {
    await secure.close()
  }
})
