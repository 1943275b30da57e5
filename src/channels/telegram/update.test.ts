import assert from 'node:assert/strict'
import { test } from 'node:test'
import { telegramItems, telegramUpdateSchema } from './update.ts'
import { webhookSecretFor } from './bot-api.ts'

const from = { id: 42, is_bot: false, first_name: 'Ada', last_name: 'Lovelace', username: 'ada' }
const chat = { id: 42, type: 'private' }

test('a text message, a photo (largest size), an edit and a voice note become items', () => {
  const text = telegramItems(telegramUpdateSchema.parse({ update_id: 1, message: { message_id: 7, date: 1700000000, chat, from, text: 'Hi' } }))
  assert.deepEqual(text[0] && { id: text[0].kind === 'message' && text[0].providerMessageId, from: text[0].kind === 'message' && text[0].from }, { id: '42:7', from: { identityKind: 'telegram', value: '42', name: 'Ada Lovelace' } })

  const [photo] = telegramItems(telegramUpdateSchema.parse({ update_id: 2, message: { message_id: 8, date: 1700000001, chat, from, caption: 'Broken', photo: [{ file_id: 'small', file_size: 10 }, { file_id: 'large', file_size: 999 }] } }))
  assert.ok(photo?.kind === 'message')
  assert.equal(photo.text, 'Broken')
  assert.deepEqual(photo.media.map((m) => [m.ref, m.kind, m.size]), [['large', 'image', 999]])

  const [edit] = telegramItems(telegramUpdateSchema.parse({ update_id: 3, edited_message: { message_id: 7, date: 1700000000, edit_date: 1700000100, chat, from, text: 'Hi there' } }))
  assert.ok(edit?.kind === 'message')
  assert.equal(edit.providerMessageId, '42:7:edit:1700000100')
  assert.equal(edit.text, '(edited) Hi there')
  assert.deepEqual((edit.metadata.telegram as { edits: string }).edits, '42:7')

  const [voice] = telegramItems(telegramUpdateSchema.parse({ update_id: 4, message: { message_id: 9, date: 1700000002, chat, from, voice: { file_id: 'v1', mime_type: 'audio/ogg' } } }))
  assert.ok(voice?.kind === 'message' && voice.text === '[audio]' && voice.media[0]?.ref === 'v1')
})

test('groups, bots and other update kinds are not stored', () => {
  assert.deepEqual(telegramItems(telegramUpdateSchema.parse({ update_id: 5, message: { message_id: 1, date: 1, chat: { id: -100, type: 'group' }, from, text: 'hi all' } })), [])
  assert.deepEqual(telegramItems(telegramUpdateSchema.parse({ update_id: 6, message: { message_id: 1, date: 1, chat, from: { ...from, is_bot: true }, text: 'beep' } })), [])
  assert.deepEqual(telegramItems(telegramUpdateSchema.parse({ update_id: 7, callback_query: { id: 'x' } })), [])
  assert.equal(telegramUpdateSchema.safeParse({ message: { text: 'no update id' } }).success, false)
})

test('the webhook secret fits Telegram’s alphabet and changes with the token and the inbox', () => {
  const a = webhookSecretFor('inbox-1', '1:AAA')
  assert.match(a, /^[A-Za-z0-9_-]{1,256}$/)
  assert.notEqual(a, webhookSecretFor('inbox-1', '1:AAB'))
  assert.notEqual(a, webhookSecretFor('inbox-2', '1:AAA'))
  assert.equal(a, webhookSecretFor('inbox-1', '1:AAA'))
})
