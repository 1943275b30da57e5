import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { createEmailModule } from './email.module.ts'
import { dsnBounce, emailInbox, send, smtpClient, uniqueAddress } from './test-helpers.ts'

const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())
const drain = () => t.omnidesk.emailProcessor.drain()

async function setup() {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inboxId = await emailInbox(t, ws, address)
  return { ws, address, inboxId }
}

async function onlyInbound(ws: WorkspaceClient) {
  const list = await ws.get('/api/v1/email/inbound')
  assert.equal(list.status, 200)
  return list.body.items as Array<Record<string, unknown> & { id: string }>
}

async function messagesOf(ws: WorkspaceClient, conversationId: string) {
  const res = await ws.get(`/api/v1/conversations/${conversationId}/messages`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items as Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON
}

test('a customer mail becomes a conversation with the new text; quoted history stays in metadata', async () => {
  const { ws, address, inboxId } = await setup()
  const res = await send(client, {
    from: 'Ada Lovelace <ada@example.com>',
    to: address,
    subject: 'Printer on fire',
    messageId: '<first-1@mail.example.com>',
    text: 'My printer is on fire.\n\n-- \nAda\n\nOn Mon, 3 Jun 2024, Bob <bob@x.test> wrote:\n> old stuff',
  })
  assert.equal(res.code, 250, res.response)
  await drain()
  const [row] = await onlyInbound(ws)
  assert.ok(row)
  assert.equal(row.status, 'processed')
  assert.equal(row.classification, 'customer')
  assert.equal(row.from, 'ada@example.com')
  assert.equal(row.subject, 'Printer on fire')
  const detail = (await ws.get(`/api/v1/email/inbound/${row.id}`)).body
  assert.equal(detail.threading.matched, null)
  assert.equal(detail.threading.outcome, 'created')
  assert.match(detail.threading.reason, /^no In-Reply-To\/References header; .*: new conversation$/)
  const conv = (await ws.get(`/api/v1/conversations/${row.conversationId}`)).body
  assert.equal(conv.subject, 'Printer on fire')
  assert.equal(conv.inboxId, inboxId)
  const [msg] = await messagesOf(ws, row.conversationId as string)
  assert.equal(msg?.text, 'My printer is on fire.')
  assert.equal(msg?.direction, 'inbound')
  assert.equal(msg?.providerMessageId, '<first-1@mail.example.com>')
  assert.match(msg?.metadata.email.fullText, /old stuff/)
  assert.equal(msg?.metadata.email.inboundEmailId, row.id)
  assert.equal(detail.messageId, msg?.id)
})

test('a reply carrying In-Reply-To of the first message joins the same conversation; a repeat is absorbed', async () => {
  const { ws, address } = await setup()
  const first = { from: 'ada@example.com', to: address, subject: 'Refund', messageId: '<refund-1@mail.example.com>', text: 'I want a refund.' }
  assert.equal((await send(client, first)).code, 250)
  assert.equal((await send(client, first)).code, 250, 'the same Message-ID again')
  await drain()
  const reply = { from: 'ada@example.com', to: address, subject: 'Re: Refund', messageId: '<refund-2@mail.example.com>', inReplyTo: '<refund-1@mail.example.com>', references: '<refund-1@mail.example.com>', text: 'Any news?\n\nOn Tue, support wrote:\n> We are on it' }
  assert.equal((await send(client, reply)).code, 250)
  await drain()
  const items = await onlyInbound(ws)
  assert.equal(items.length, 2)
  assert.equal(items[0]?.conversationId, items[1]?.conversationId)
  const detail = (await ws.get(`/api/v1/email/inbound/${items[0]?.id}`)).body
  assert.equal(detail.threading.matched, 'in-reply-to')
  assert.equal(detail.threading.reason, 'matched In-Reply-To header <refund-1@mail.example.com>')
  const messages = await messagesOf(ws, items[0]?.conversationId as string)
  assert.deepEqual(messages.map((m) => m.text), ['I want a refund.', 'Any news?'])
  const convs = (await ws.get('/api/v1/conversations')).body.items
  assert.equal(convs.length, 1)
})

test('HTML is sanitised (no script, no remote image) and attachments are recorded', async () => {
  const { ws, address } = await setup()
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 65), Buffer.from('\n%%EOF\n')])
  const res = await send(client, {
    from: 'ada@example.com',
    to: address,
    subject: 'Invoice',
    text: 'See the invoice attached.',
    html: '<p onclick="x()">See the <b>invoice</b> attached.</p><script>alert(1)</script><img src="https://tracker.example/p.gif">',
    attachments: [{ filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' }],
  })
  assert.equal(res.code, 250)
  await drain()
  const [row] = await onlyInbound(ws)
  const [msg] = await messagesOf(ws, row?.conversationId as string)
  assert.ok(msg?.html.includes('<b>invoice</b>'))
  assert.doesNotMatch(msg?.html, /script|onclick|tracker/)
  assert.deepEqual(
    msg?.metadata.email.attachments.map((a: Record<string, unknown>) => [a.filename, a.contentType, a.size]),
    [['invoice.pdf', 'application/pdf', pdf.length]],
  )
})

test('automated mail never opens a conversation; a hard bounce marks the address undeliverable', async () => {
  const { ws, address } = await setup()
  await send(client, { from: 'Ada <ada@example.com>', to: address, subject: 'Hello', text: 'Hi there' })
  await drain()
  const bounce = dsnBounce({ to: address, recipient: 'ADA@example.com', messageId: '<bounce-1@mx.example.com>', diagnostic: 'smtp; 550 5.1.1 user unknown' })
  assert.equal((await send(client, { envelope: { from: '', to: [address] }, raw: bounce })).code, 250)
  await send(client, { from: 'bob@example.com', to: address, subject: 'Out of office', text: 'I am away', headers: { 'Auto-Submitted': 'auto-replied' } })
  await drain()
  const bounced = (await ws.get('/api/v1/email/inbound?classification=bounce')).body.items
  assert.equal(bounced.length, 1)
  assert.equal(bounced[0].status, 'ignored')
  assert.equal(bounced[0].conversationId, null)
  const detail = (await ws.get(`/api/v1/email/inbound/${bounced[0].id}`)).body
  assert.equal(detail.classificationDetails.hard, true)
  assert.equal(detail.classificationDetails.statusCode, '5.1.1')
  assert.deepEqual(detail.classificationDetails.markedUndeliverable, ['ada@example.com'])
  const auto = (await ws.get('/api/v1/email/inbound?classification=auto_reply')).body.items
  assert.equal(auto.length, 1)
  assert.equal(auto[0].status, 'ignored')
  assert.equal((await ws.get('/api/v1/conversations')).body.items.length, 1, 'only the customer mail opened a case')
  const contactId = (await ws.get('/api/v1/conversations')).body.items[0].contactId
  const contact = (await ws.get(`/api/v1/contacts/${contactId}`)).body
  assert.equal(contact.identities.find((i: { kind: string }) => i.kind === 'email').undeliverable, true)

  // An agent can release an ignored mail as a customer message anyway.
  const released = await ws.post(`/api/v1/email/inbound/${auto[0].id}/release`)
  assert.equal(released.status, 200, JSON.stringify(released.body))
  await drain()
  const after = (await ws.get(`/api/v1/email/inbound/${auto[0].id}`)).body
  assert.equal(after.status, 'processed')
  assert.ok(after.conversationId)
})

test('a message that cannot be parsed is quarantined with its reason, kept raw, and can be retried', async () => {
  const { ws, address } = await setup()
  const p = t.omnidesk.platform
  const fragile = createEmailModule(p, {
    conversations: t.omnidesk.services.conversations,
    parse: async () => {
      throw new Error('simulated parser crash')
    },
  })
  const { port: fragilePort } = await fragile.smtp.listen(0, '127.0.0.1')
  const c = smtpClient(fragilePort)
  try {
    assert.equal((await send(c, { from: 'ada@example.com', to: address, subject: 'Help', text: 'Please help' })).code, 250)
  } finally {
    c.close()
    await fragile.smtp.close()
  }
  await fragile.processor.drain()
  const q = (await ws.get('/api/v1/email/inbound?status=quarantined')).body.items
  assert.equal(q.length, 1)
  assert.match(q[0].reason, /could not parse the message: simulated parser crash/)
  assert.equal(q[0].subject, 'Help', 'header facts are kept for the quarantine list')
  assert.equal((await ws.get(`/api/v1/email/inbound/${q[0].id}/raw`)).status, 200, 'the raw message is kept')
  assert.equal((await ws.get('/api/v1/conversations')).body.items.length, 0)
  assert.equal((await ws.post(`/api/v1/email/inbound/${q[0].id}/retry`)).status, 200)
  assert.equal((await ws.post(`/api/v1/email/inbound/${q[0].id}/retry`)).status, 422, 'only quarantined mail can be retried')
  await drain()
  const done = (await ws.get(`/api/v1/email/inbound/${q[0].id}`)).body
  assert.equal(done.status, 'processed')
  assert.equal((await ws.get('/api/v1/conversations')).body.items.length, 1)
  const audit = await ws.get('/api/v1/audit?action=inbound-email.retried')
  if (audit.status === 200) assert.ok(JSON.stringify(audit.body).includes('inbound-email.retried'))
})

test('crash safety: mail stored but not processed before a restart is processed by a new processor', async () => {
  const { ws, address } = await setup()
  for (const n of [1, 2, 3]) assert.equal((await send(client, { from: 'ada@example.com', to: address, subject: `Crash ${n}`, messageId: `<crash-${n}@mail.example.com>`, text: `Message ${n}` })).code, 250)
  // The process "died" after answering 250: one row was even claimed mid-processing.
  const rows = await onlyInbound(ws)
  assert.deepEqual(rows.map((r) => r.status), ['received', 'received', 'received'])
  await t.database.db.updateTable('inbound_emails').set({ attempts: 1, next_attempt_at: new Date(Date.now() - 1000) }).where('id', '=', rows[0]?.id as string).execute()
  const restarted = createEmailModule(t.omnidesk.platform, { conversations: t.omnidesk.services.conversations })
  await restarted.processor.drain()
  const after = await onlyInbound(ws)
  assert.deepEqual(after.map((r) => r.status), ['processed', 'processed', 'processed'])
  assert.equal((await ws.get('/api/v1/conversations')).body.items.length, 3)
})

test('a claim left by a killed process: the embedded database takes the mail up at start; PostgreSQL honours the lease', async () => {
  const { ws, address } = await setup()
  assert.equal((await send(client, { from: 'ada@example.com', to: address, subject: 'Claimed', messageId: '<claimed-1@mail.example.com>', text: 'Hello' })).code, 250)
  const [row] = await onlyInbound(ws)
  // As claimInbound leaves it: one attempt taken, hidden from other processors for the lease.
  await t.database.db.updateTable('inbound_emails').set({ attempts: 1, next_attempt_at: new Date(Date.now() + 3600_000) }).where('id', '=', row?.id as string).execute()
  const restarted = createEmailModule(t.omnidesk.platform, { conversations: t.omnidesk.services.conversations })
  await restarted.processor.start()
  await restarted.processor.drain()
  await restarted.processor.stop()
  const [after] = await onlyInbound(ws)
  if (t.database.backend === 'pglite') assert.equal(after?.status, 'processed', 'the sole owner released the dead claim at start')
  else assert.equal(after?.status, 'received', 'another node may hold the claim: it waits for the lease')
})
