import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRecentRaw } from './recent-raw.ts'

test('kept bytes are taken once; the oldest go first past the bound; a message over the bound is not kept', () => {
  const recent = createRecentRaw(10)
  recent.keep('a', Buffer.from('aaaa'))
  recent.keep('b', Buffer.from('bbbb'))
  assert.equal(recent.bytes, 8)
  recent.keep('c', Buffer.from('cccc'))
  assert.equal(recent.take('a'), undefined, 'evicted: the oldest')
  assert.equal(recent.take('b')?.toString(), 'bbbb')
  assert.equal(recent.take('b'), undefined, 'taken once')
  recent.keep('big', Buffer.alloc(11))
  assert.equal(recent.take('big'), undefined)
  assert.equal(recent.take('c')?.toString(), 'cccc')
  assert.equal(recent.bytes, 0)
})
