import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'

const t = await useTestApp()

async function open(ws: Awaited<ReturnType<typeof t.workspace>>, subject: string, text: string, contact: Record<string, string>) {
  const res = await ws.post('/api/v1/conversations', { contact, subject, message: { text } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body as { id: string; number: number; contactId: string }
}

test('one query finds cases by subject and number, messages and notes by text, contacts by name and identity', async () => {
  const ws = await t.workspace()
  const printer = await open(ws, 'Printer on fire', 'It smokes since Monday.', { name: 'Ada Lovelace', email: 'ada@analytical.example' })
  const invoice = await open(ws, 'Invoice question', 'The printer toner was billed twice.', { name: 'Grace Hopper', phone: '+14155550123' })
  const note = await ws.post(`/api/v1/conversations/${invoice.id}/messages`, { text: 'Refund approved by finance, see ledger 7781', private: true })
  assert.equal(note.status, 201)

  const res = await ws.get('/api/v1/search?q=printer')
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const kinds = res.body.items.map((i: { type: string; id: string }) => `${i.type}:${i.id}`)
  assert.ok(kinds.includes(`conversation:${printer.id}`), JSON.stringify(res.body.items))
  const msgHit = res.body.items.find((i: { type: string; conversationId: string }) => i.type === 'message' && i.conversationId === invoice.id)
  assert.ok(msgHit, 'the message mentioning the printer toner')
  assert.match(msgHit.snippet, /printer toner/)
  assert.equal(msgHit.title, `#${invoice.number} Invoice question`)
  // Ranked: the short subject matching the word outranks a long message body.
  assert.equal(res.body.items[0].type, 'conversation')

  const prefix = await ws.get('/api/v1/search?q=ledg')
  assert.deepEqual(prefix.body.items.map((i: { type: string; conversationId: string }) => [i.type, i.conversationId]), [['message', invoice.id]], 'notes are found, by prefix')

  const byName = await ws.get('/api/v1/search?q=Grace')
  const contactHit = byName.body.items.find((i: { type: string }) => i.type === 'contact')
  assert.equal(contactHit.id, invoice.contactId)
  assert.equal(contactHit.title, 'Grace Hopper')
  assert.match(contactHit.snippet, /\+14155550123/)

  const byEmailPart = await ws.get('/api/v1/search?q=analytical')
  assert.deepEqual(byEmailPart.body.items.filter((i: { type: string }) => i.type === 'contact').map((i: { id: string }) => i.id), [printer.contactId])

  const byNumber = await ws.get(`/api/v1/search?q=%23${invoice.number}`)
  assert.equal(byNumber.body.items[0].id, invoice.id)

  const both = await ws.get('/api/v1/search?q=printer%20fire')
  assert.deepEqual(both.body.items.map((i: { id: string }) => i.id), [printer.id], 'every word must match')

  const nothing = await ws.get('/api/v1/search?q=%27%26%7C%21')
  assert.equal(nothing.status, 200, 'tsquery syntax typed by the user is not an error')
  assert.deepEqual(nothing.body.items, [])
  assert.equal((await ws.get('/api/v1/search?q=')).status, 400)
})

test('another workspace finds nothing of this one', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  await open(a, 'Quasar telescope broken', 'zyxwvut mirror cracked', { name: 'Zebulon Quasarian', email: 'zeb@quasar.example' })
  for (const q of ['quasar', 'zyxwvut', 'zebulon', '1']) {
    const res = await b.get(`/api/v1/search?q=${q}`)
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.items, [], q)
  }
  assert.ok((await a.get('/api/v1/search?q=quasar')).body.items.length >= 2)
})

test('search holds up under 16 concurrent clients while cases are created', async () => {
  const ws = await t.workspace()
  const writes = Array.from({ length: 8 }, (_, i) => open(ws, `Concurrent widget ${i}`, `gizmo number ${i}`, { name: `Person ${i}` }))
  const reads = Array.from({ length: 16 }, () => ws.get('/api/v1/search?q=widget'))
  const results = await Promise.all([...writes, ...reads])
  for (const r of results.slice(8)) assert.equal((r as { status: number }).status, 200)
  const after = await ws.get('/api/v1/search?q=widget&limit=50')
  assert.equal(after.body.items.filter((i: { type: string }) => i.type === 'conversation').length, 8)
})
