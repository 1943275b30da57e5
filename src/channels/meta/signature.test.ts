import assert from 'node:assert/strict'
import { test } from 'node:test'
import { retryAfterSeconds } from './provider-http.ts'
import { secretEquals, signMetaPayload, verifyMetaSignature } from './signature.ts'

// X-Hub-Signature-256 is GitHub's scheme too, and GitHub publishes a worked
// example ("Validating webhook deliveries"): this secret and body give this signature.
const example = {
  secret: "It's a Secret to Everybody",
  body: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
}

test('signing reproduces the published worked example', () => {
  assert.equal(signMetaPayload(example.secret, example.body), example.signature)
  assert.equal(verifyMetaSignature(example.secret, Buffer.from(example.body), example.signature), true)
  // Hex digits in upper case are the same signature.
  assert.equal(verifyMetaSignature(example.secret, Buffer.from(example.body), example.signature.replace(/[a-f]/g, (c) => c.toUpperCase()).replace('SHA256', 'sha256')), true)
})

test('a changed byte, another secret, a missing or malformed header all fail', () => {
  const body = Buffer.from(example.body)
  assert.equal(verifyMetaSignature(example.secret, Buffer.from('Hello, World?'), example.signature), false)
  assert.equal(verifyMetaSignature('another secret', body, example.signature), false)
  assert.equal(verifyMetaSignature(example.secret, body, undefined), false)
  assert.equal(verifyMetaSignature(example.secret, body, [example.signature, example.signature]), false)
  assert.equal(verifyMetaSignature(example.secret, body, example.signature.replace('sha256=', 'sha1=')), false)
  assert.equal(verifyMetaSignature(example.secret, body, example.signature.slice(0, -2)), false)
  assert.equal(verifyMetaSignature(example.secret, body, ''), false)
  // The bytes, not a re-serialisation: the same JSON with other spacing is another body.
  const json = '{"a":1}'
  assert.equal(verifyMetaSignature('s', Buffer.from('{ "a": 1 }'), signMetaPayload('s', json)), false)
})

test('secretEquals compares whole secrets of any length', () => {
  assert.equal(secretEquals('abc', 'abc'), true)
  assert.equal(secretEquals('abc', 'abcd'), false)
  assert.equal(secretEquals(undefined, 'abc'), false)
  assert.equal(secretEquals(['abc'], 'abc'), false)
})

test('Retry-After is read as seconds or as an HTTP date', () => {
  assert.equal(retryAfterSeconds('7'), 7)
  assert.equal(retryAfterSeconds(null), null)
  assert.equal(retryAfterSeconds('soon'), null)
  const inTen = new Date(Date.now() + 10_000).toUTCString()
  const s = retryAfterSeconds(inTen)
  assert.ok(s !== null && s >= 8 && s <= 11, String(s))
})
