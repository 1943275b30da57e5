import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allowedOriginsOf, contentMatchesType, isOpen, originAllowed, RateLimiter, typeAllowed } from './chat.policy.ts'
import { chatConfigSchema } from './config.ts'

test('allowed origins are the websiteUrl origin and the list; no Origin (not a browser) passes', () => {
  const config = chatConfigSchema.parse({ websiteUrl: 'https://www.example.com/shop?x=1', allowedOrigins: ['http://localhost:8080'] })
  assert.deepEqual([...allowedOriginsOf(config)], ['https://www.example.com', 'http://localhost:8080'])
  assert.equal(originAllowed(config, 'https://www.example.com'), true)
  assert.equal(originAllowed(config, 'https://evil.example.com'), false)
  assert.equal(originAllowed(config, 'null'), false)
  assert.equal(originAllowed(config, undefined), true)
  assert.equal(originAllowed(chatConfigSchema.parse({}), 'https://www.example.com'), false, 'nothing configured: every browser refused')
  assert.equal(chatConfigSchema.safeParse({ allowedOrigins: ['https://x.example/path'] }).success, false)
})

test('business hours in the inbox time zone', () => {
  const hours = chatConfigSchema.parse({ businessHours: { timeZone: 'Europe/Paris', days: [{ day: 1, open: '09:00', close: '18:00' }] } }).businessHours
  // Monday 2026-11-30: 08:30 UTC is 09:30 in Paris; 17:30 UTC is 18:30.
  assert.equal(isOpen(hours, new Date('2026-11-30T08:30:00Z')), true)
  assert.equal(isOpen(hours, new Date('2026-11-30T17:30:00Z')), false)
  assert.equal(isOpen(hours, new Date('2026-12-01T08:30:00Z')), false, 'Tuesday is not listed')
  assert.equal(isOpen(undefined), true)
  assert.equal(chatConfigSchema.safeParse({ businessHours: { timeZone: 'Mars/Olympus', days: [] } }).success, false)
})

test('file types by pattern, and content that must match its declared type', () => {
  const config = chatConfigSchema.parse({ attachments: { allowedTypes: ['image/*', 'application/pdf'] } })
  assert.equal(typeAllowed(config, 'image/png'), true)
  assert.equal(typeAllowed(config, 'IMAGE/JPEG; charset=binary'), true)
  assert.equal(typeAllowed(config, 'text/html'), false)
  assert.equal(typeAllowed(chatConfigSchema.parse({}), 'application/x-msdownload'), false)
  assert.equal(contentMatchesType(Buffer.from('%PDF-1.7'), 'application/pdf'), true)
  assert.equal(contentMatchesType(Buffer.from('<html>'), 'application/pdf'), false)
  assert.equal(contentMatchesType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'), true)
  assert.equal(contentMatchesType(Buffer.from('a\u0000b'), 'text/plain'), false)
})

test('the rate limiter counts per key per window', () => {
  const limiter = new RateLimiter(60_000)
  assert.equal(limiter.take('a', 2, 0).ok, true)
  assert.equal(limiter.take('a', 2, 1).ok, true)
  const third = limiter.take('a', 2, 2)
  assert.deepEqual(third, { ok: false, retryAfterSeconds: 60 })
  assert.equal(limiter.take('b', 2, 2).ok, true, 'another key has its own count')
  assert.equal(limiter.take('a', 2, 60_000).ok, true, 'a new window')
})
