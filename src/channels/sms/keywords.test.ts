import assert from 'node:assert/strict'
import { test } from 'node:test'
import { keywordOf } from './keywords.ts'

test('a message that is only an opt-out, opt-in or help keyword is recognised, whatever its case and punctuation', () => {
  assert.deepEqual(keywordOf(' stop '), { action: 'opt-out', keyword: 'STOP' })
  assert.deepEqual(keywordOf('Unsubscribe.'), { action: 'opt-out', keyword: 'UNSUBSCRIBE' })
  assert.deepEqual(keywordOf('stop  all'), { action: 'opt-out', keyword: 'STOP ALL' })
  assert.deepEqual(keywordOf('START!'), { action: 'opt-in', keyword: 'START' })
  assert.deepEqual(keywordOf('help?'), { action: 'help', keyword: 'HELP' })
})

test('a keyword inside a sentence is a message, not a command', () => {
  assert.equal(keywordOf('please stop calling me'), null)
  assert.equal(keywordOf('Can you help me with my order'), null)
  assert.equal(keywordOf(''), null)
})
