import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { createInboundProcessor } from './inbound-processor.ts'
import { deactivateInbox, emailInbox, send, smtpClient, uniqueAddress } from './test-helpers.ts'

/**
 * Mail stored while nothing processes it is taken in one batch (one claim, one
 * transaction per workspace) by the next pass: what one mail of the batch
 * does must not change what happens to the others.
 */

const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())
const drain = () => t.omnidesk.emailProcessor.drain()

async function inbound(ws: WorkspaceClient) {
  const list = await ws.get('/api/v1/email/inbound?limit=100')
  assert.equal(list.status, 200)
  return list.body.items as Array<Record<string, unknown> & { id: string }>
}

test('one mail of a batch that cannot be written is quarantined; the rest of the batch commits', async () => {
  const ws = await t.workspace()
  const good = uniqueAddress()
  const bad = uniqueAddress()
  await emailInbox(t, ws, good)
  const badInbox = await emailInbox(t, ws, bad)
  const run = Math.random().toString(36).slice(2, 8)
  // Ten mails stored before any is processed: the bad one in the middle of the batch.
  for (let i = 0; i < 10; i++) {
    const to = i === 4 ? bad : good
    const res = await send(client, { from: `Sender ${i} <sender-${i}@customer.example>`, to, subject: `Question ${i}`, text: `Question number ${i}.`, messageId: `<q-${run}-${i}@customer.example>` })
    assert.equal(res.code, 250, res.response)
  }
  // Accepted and stored, then the inbox went away: the conversation side refuses that mail.
  await deactivateInbox(t, ws, badInbox)
  await drain()

  const rows = await inbound(ws)
  assert.equal(rows.length, 10)
  const badRow = rows.find((r) => r.messageIdHeader === `<q-${run}-4@customer.example>`)
  assert.equal(badRow?.status, 'quarantined')
  assert.match(String(badRow?.reason), /inactive/)
  const processed = rows.filter((r) => r.status === 'processed')
  assert.equal(processed.length, 9, JSON.stringify(rows.map((r) => [r.messageIdHeader, r.status, r.reason])))
  assert.equal(new Set(processed.map((r) => r.conversationId)).size, 9)
  const conversations = await ws.get('/api/v1/conversations?limit=100')
  assert.equal(conversations.status, 200)
  assert.equal(conversations.body.items.length, 9)
  // Each good mail is in exactly one message of its conversation.
  for (const r of processed) {
    const messages = await ws.get(`/api/v1/conversations/${r.conversationId as string}/messages`)
    assert.deepEqual(
      messages.body.items.map((m: { providerMessageId: string }) => m.providerMessageId),
      [r.messageIdHeader],
    )
  }
})

test('a reply stored before its parent, both in one batch, ends in the parent case with the reason stored', async () => {
  const ws = await t.workspace()
  const to = uniqueAddress()
  await emailInbox(t, ws, to)
  const run = Math.random().toString(36).slice(2, 8)
  const parentId = `<parent-${run}@customer.example>`
  const replyId = `<reply-${run}@colleague.example>`
  const reply = await send(client, { from: 'Colleague <col@colleague.example>', to, subject: 'Photos', text: 'Adding the photos.', messageId: replyId, inReplyTo: parentId, references: [parentId] })
  assert.equal(reply.code, 250, reply.response)
  const parent = await send(client, { from: 'Pat <pat@customer.example>', to, subject: 'Broken order', text: 'The order arrived broken.', messageId: parentId })
  assert.equal(parent.code, 250, parent.response)
  await drain()

  const rows = await inbound(ws)
  assert.deepEqual(rows.map((r) => r.status), ['processed', 'processed'])
  const caseOf = new Map(rows.map((r) => [r.messageIdHeader, r.conversationId]))
  assert.equal(caseOf.get(parentId), caseOf.get(replyId))
  const parentRow = rows.find((r) => r.messageIdHeader === parentId) as { id: string }
  const detail = (await ws.get(`/api/v1/email/inbound/${parentRow.id}`)).body
  assert.equal(detail.threading.matched, 'reply-arrived-first')
  assert.match(detail.threading.reason, /a reply to this message arrived first/)
})

test('a batch stops at its byte budget: the rest is given back, not counted as an attempt, and taken by the next pass', async () => {
  const ws = await t.workspace()
  const to = uniqueAddress()
  await emailInbox(t, ws, to)
  const run = Math.random().toString(36).slice(2, 8)
  // Three mails of ~3 KB each, stored before anything processes them.
  for (let i = 0; i < 3; i++) {
    const res = await send(client, { from: `Big ${i} <big-${i}@customer.example>`, to, subject: `Big ${i}`, text: `${'word '.repeat(600)}${i}`, messageId: `<big-${run}-${i}@customer.example>` })
    assert.equal(res.code, 250, res.response)
  }
  const sizes = (await t.database.db.selectFrom('inbound_emails').select('size').where('workspace_id', '=', ws.workspaceId).execute()).map((r) => Number(r.size))
  assert.ok(sizes.every((s) => s > 3000 && s < 4500), String(sizes))
  // A budget of a mail and a half: each batch holds one mail (the first is always taken).
  const processor = createInboundProcessor({ ...t.omnidesk.platform, conversations: t.omnidesk.services.conversations }, { batchBytes: 5000 })
  assert.deepEqual([await processor.runOnce(), await processor.runOnce(), await processor.runOnce(), await processor.runOnce()], [1, 1, 1, 0])
  const rows = await t.database.db.selectFrom('inbound_emails').select(['status', 'attempts']).where('workspace_id', '=', ws.workspaceId).execute()
  assert.deepEqual(rows.map((r) => [r.status, r.attempts]), [['processed', 1], ['processed', 1], ['processed', 1]])
})
