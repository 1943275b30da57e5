import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSecretBox } from '../platform/crypto.ts'
import { mediaLink, openMediaLink } from './media-links.ts'

const box = createSecretBox('a test key that is long enough for the box')
const file = { blobKey: 'ws/ab/cd/file', contentType: 'image/png', filename: 'label.png' }

test('a media link opens until it expires, only with the key that signed it', () => {
  const now = Date.UTC(2026, 0, 1)
  const url = mediaLink(box, 'https://desk.example.test/', file, 3600, now)
  assert.match(url, /^https:\/\/desk\.example\.test\/media\/[\w-]+\.[\w-]+$/)
  const token = url.split('/media/')[1] ?? ''
  assert.deepEqual(openMediaLink(box, token, now + 3599_000), file)
  assert.equal(openMediaLink(box, token, now + 3601_000), null, 'expired')
  assert.equal(openMediaLink(createSecretBox('another instance key, also long enough'), token, now), null, 'signed by another key')
  const [body, mac] = token.split('.')
  const forged = Buffer.from(JSON.stringify({ k: 'ws/other/file', t: 'image/png', n: 'x.png', e: Math.floor(now / 1000) + 3600 })).toString('base64url')
  assert.equal(openMediaLink(box, `${forged}.${mac}`, now), null, 'another file under the same signature')
  assert.equal(openMediaLink(box, `${body}`, now), null)
  assert.equal(openMediaLink(box, `${body}.${mac}.x`, now), null)
})
