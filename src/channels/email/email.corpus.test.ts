import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { expectedClassification, fixtureDir, fixtureFiles } from './email.fixtures.ts'
import { dedupeKeyOf } from './parse.ts'
import { emailInbox, inboundRows, send, smtpClient, uniqueAddress } from './test-helpers.ts'

const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())

test('the 56 real messages: each accepted over SMTP, stored once, classified, none lost', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const files = fixtureFiles()
  assert.equal(files.length, 56)

  const keyOf = new Map<string, string>()
  for (const file of files) {
    const raw = fs.readFileSync(path.join(fixtureDir, file))
    const res = await send(client, { envelope: { from: 'relay@fixtures.example', to: [address] }, raw })
    // Nothing here is oversized or misaddressed: every one must be accepted.
    assert.equal(res.code, 250, `${file}: ${res.response}`)
    keyOf.set(file, dedupeKeyOf(raw).dedupeKey)
  }

  // Files that share a Message-ID (the five "enclosed" variants, text-only/no-ctype) are one message by design.
  const rows = await inboundRows(t, ws.workspaceId)
  const distinctKeys = new Set(keyOf.values())
  assert.equal(rows.length, distinctKeys.size, 'one row per distinct message accepted')
  assert.deepEqual(new Set(rows.map((r) => r.dedupe_key)), distinctKeys, 'no accepted message is missing')

  await t.omnidesk.emailProcessor.drain()
  const processed = new Map((await inboundRows(t, ws.workspaceId)).map((r) => [r.dedupe_key, r]))
  for (const file of files) {
    const row = processed.get(keyOf.get(file) as string)
    assert.ok(row, file)
    assert.notEqual(row.status, 'received', `${file} was processed`)
    assert.notEqual(row.status, 'quarantined', `${file}: ${row.reason}`)
    assert.equal(row.classification, expectedClassification(file), file)
    if (row.classification === 'customer') {
      assert.equal(row.status, 'processed', file)
      assert.ok(row.conversation_id && row.message_id, `${file} has its conversation`)
    } else {
      assert.equal(row.status, 'ignored', file)
      assert.equal(row.conversation_id, null, `${file} opened no conversation`)
    }
  }

  const customerRows = [...processed.values()].filter((r) => r.classification === 'customer')
  const convs = await ws.get('/api/v1/conversations?limit=100')
  assert.equal(convs.status, 200)
  assert.equal(convs.body.items.length, customerRows.length, 'one conversation per customer message')

  const pdf = processed.get(keyOf.get('flanker__attached-pdf.eml') as string)
  const msgs = (await ws.get(`/api/v1/conversations/${pdf?.conversation_id}/messages`)).body.items
  assert.ok(msgs[0].metadata.email.attachments.some((a: { contentType: string; size: number }) => a.contentType === 'application/pdf' && a.size > 0))
  const stored = msgs[0].attachments.find((a: { contentType: string }) => a.contentType === 'application/pdf')
  assert.ok(stored && stored.size > 0, 'the PDF is a downloadable attachment')
  assert.equal((await ws.get(`/api/v1/conversations/${pdf?.conversation_id}/messages/${msgs[0].id}/attachments/${stored.id}`)).raw.rawPayload.subarray(0, 5).toString(), '%PDF-')

  // No attachment part of any customer mail is left out.
  for (const r of customerRows) {
    const m = (await ws.get(`/api/v1/conversations/${r.conversation_id}/messages`)).body.items.find((x: { id: string }) => x.id === r.message_id)
    assert.equal(m?.attachments.length, m?.metadata.email.attachments.length, `${r.dedupe_key}: every part stored`)
  }

  // The server is still healthy after the whole corpus.
  assert.equal((await send(client, { from: 'ada@example.com', to: address, subject: 'still there?', text: 'ping' })).code, 250)
})
