import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import nodemailer from 'nodemailer'
import { useTestApp } from '../../../test/harness.ts'
import type { BlobStore } from '../../platform/blob-store.ts'
import { createEmailModule } from './email.module.ts'
import { deactivateInbox, emailInbox, inboundRows, send, smtpClient, uniqueAddress } from './test-helpers.ts'

const MAX = 64 * 1024
const t = await useTestApp({ SMTP_MAX_SIZE: String(MAX) })
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())

const mail = (to: string, extra: Record<string, unknown> = {}) => ({
  from: 'Ada Lovelace <ada@example.com>',
  to,
  subject: 'Printer on fire',
  text: 'My printer is on fire.',
  ...extra,
})

test('an unknown recipient is refused with 550 and nothing is stored (no open relay)', async () => {
  const ws = await t.workspace()
  await emailInbox(t, ws, uniqueAddress())
  const before = await t.database.db.selectFrom('inbound_emails').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  const res = await send(client, mail('someone@elsewhere.example'))
  assert.equal(res.code, 550, res.response)
  assert.match(res.response, /no such mailbox here/)
  const afterCount = await t.database.db.selectFrom('inbound_emails').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  assert.equal(afterCount.n, before.n)
})

test('an inactive inbox does not receive mail', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inboxId = await emailInbox(t, ws, address)
  await deactivateInbox(t, ws, inboxId)
  assert.equal((await send(client, mail(address))).code, 550)
})

test('plus-addressing reaches the base inbox; the row records the envelope', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inboxId = await emailInbox(t, ws, address)
  const plus = address.replace('support@', 'Support+order-42@')
  const res = await send(client, { ...mail(plus), envelope: { from: 'bounce@example.com', to: [plus] } })
  assert.equal(res.code, 250, res.response)
  const list = await ws.get('/api/v1/email/inbound')
  assert.equal(list.status, 200)
  assert.equal(list.body.items.length, 1)
  const item = list.body.items[0]
  assert.equal(item.inboxId, inboxId)
  assert.equal(item.status, 'received', 'stored before processing')
  const one = await ws.get(`/api/v1/email/inbound/${item.id}`)
  assert.equal(one.body.envelopeFrom, 'bounce@example.com')
  assert.deepEqual(one.body.envelopeTo, [plus])
  const raw = await ws.get(`/api/v1/email/inbound/${item.id}/raw`)
  assert.equal(raw.status, 200)
  assert.match(String(raw.headers['content-type']), /^message\/rfc822/)
  assert.match(raw.raw.body, /Subject: Printer on fire/)
})

test('a message over SMTP_MAX_SIZE is refused with 552 and not stored', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const res = await send(client, mail(address, { text: 'x'.repeat(MAX + 10_000) }))
  assert.equal(res.code, 552, res.response)
  assert.equal((await inboundRows(t, ws.workspaceId)).length, 0)
  // Without the SIZE declaration the server still enforces the limit on the data itself.
  const raw = `From: a@example.com\r\nTo: ${address}\r\nSubject: big\r\n\r\n${'y'.repeat(MAX + 1000)}\r\n`
  const res2 = await send(client, { envelope: { from: 'a@example.com', to: [address] }, raw, size: undefined } as never)
  assert.equal(res2.code, 552, res2.response)
  assert.equal((await inboundRows(t, ws.workspaceId)).length, 0)
})

test('the same Message-ID delivered twice is stored once (250 both times)', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const m = mail(address, { messageId: '<retry-1@client.example>' })
  assert.equal((await send(client, m)).code, 250)
  const again = await send(client, m)
  assert.equal(again.code, 250, again.response)
  const rows = await inboundRows(t, ws.workspaceId)
  assert.equal(rows.length, 1)
  assert.equal(rows[0]?.dedupe_key, '<retry-1@client.example>')
})

test('a message without Message-ID is deduplicated by its content hash', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const raw = `From: ada@example.com\r\nTo: ${address}\r\nSubject: no id\r\n\r\nHello\r\n`
  const envelope = { from: 'ada@example.com', to: [address] }
  assert.equal((await send(client, { envelope, raw })).code, 250)
  assert.equal((await send(client, { envelope, raw })).code, 250)
  const rows = await inboundRows(t, ws.workspaceId)
  assert.equal(rows.length, 1)
  assert.match(rows[0]?.dedupe_key ?? '', /^sha256:[0-9a-f]{64}$/)
})

test('two recipient inboxes in two workspaces each get their row; each workspace sees only its own', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const addrA = uniqueAddress()
  const addrB = uniqueAddress()
  await emailInbox(t, a, addrA)
  await emailInbox(t, b, addrB)
  const res = await send(client, mail(`${addrA}, ${addrB}`))
  assert.equal(res.code, 250)
  const listA = (await a.get('/api/v1/email/inbound')).body.items
  const listB = (await b.get('/api/v1/email/inbound')).body.items
  assert.equal(listA.length, 1)
  assert.equal(listB.length, 1)
  assert.equal((await a.get(`/api/v1/email/inbound/${listB[0].id}`)).status, 404, 'another workspace’s mail is not found')
  assert.equal((await a.get(`/api/v1/email/inbound/${listB[0].id}/raw`)).status, 404)
})

test('when storage fails the server answers 451 (try later), never 250, and keeps nothing', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const failing: BlobStore = {
    put: async () => {
      throw new Error('disk full')
    },
    get: async () => {
      throw new Error('disk full')
    },
    delete: async () => {},
  }
  const p = t.omnidesk.platform
  const broken = createEmailModule({ ...p, blobs: failing }, { conversations: t.omnidesk.services.conversations })
  const { port: brokenPort } = await broken.smtp.listen(0, '127.0.0.1')
  const c = smtpClient(brokenPort)
  try {
    const res = await send(c, mail(address))
    assert.equal(res.code, 451, res.response)
  } finally {
    c.close()
    await broken.smtp.close()
  }
  assert.equal((await inboundRows(t, ws.workspaceId)).length, 0)
  // The sender's retry, once storage works again, is accepted.
  assert.equal((await send(client, mail(address))).code, 250)
  assert.equal((await inboundRows(t, ws.workspaceId)).length, 1)
})

test('listing, retry and release need inboxes:write (email.inbound-access.test.ts covers every role)', async () => {
  const ws = await t.workspace()
  const user = await ws.post('/api/v1/users', { email: `agent-${Date.now()}@example.com`, name: 'Agent', role: 'agent' })
  assert.equal(user.status, 201)
  const token = await ws.post('/api/v1/tokens', { name: 'agent', userId: user.body.id })
  assert.equal(token.status, 201, JSON.stringify(token.body))
  const agent = ws.as(token.body.secret)
  assert.equal((await agent.get('/api/v1/email/inbound')).status, 403)
  const id = '00000000-0000-4000-8000-000000000000'
  assert.equal((await agent.post(`/api/v1/email/inbound/${id}/retry`)).status, 403)
  assert.equal((await ws.post(`/api/v1/email/inbound/${id}/retry`)).status, 404)
  assert.equal((await ws.get('/api/v1/email/inbound?status=bogus')).status, 400)
})

test('a connection delivering several messages looks an address up once; an inbox gone since answers 451, then the address is looked up afresh', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inboxId = await emailInbox(t, ws, address)
  // One connection for every message, as a relay delivering a queue does.
  const session = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity })
  try {
    const sendOn = (n: number) => send(session as unknown as ReturnType<typeof smtpClient>, mail(address, { messageId: `<session-${n}-${inboxId}@example.com>` }))
    assert.equal((await sendOn(1)).code, 250)
    assert.equal((await sendOn(2)).code, 250)
    await deactivateInbox(t, ws, inboxId)
    // The address was resolved for the first message: the store finds its inbox gone. Not 550: the address may be another inbox's by now.
    const third = await sendOn(3)
    assert.equal(third.code, 451, third.response)
    // The next message on the connection looks the address up again, and it is unknown now.
    const fourth = await sendOn(4)
    assert.equal(fourth.code, 550, fourth.response)
    assert.deepEqual((await inboundRows(t, ws.workspaceId)).map((r) => r.message_id_header).sort(), [`<session-1-${inboxId}@example.com>`, `<session-2-${inboxId}@example.com>`])
  } finally {
    session.close()
  }
})

test('mail this process just stored is processed from memory (the blob is not read back); the blob keeps the durable copy', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const p = t.omnidesk.platform
  // Drain also takes up other tests' mail (stored by the app's own SMTP server): its blobs are read.
  const read: string[] = []
  const counting: BlobStore = { ...p.blobs, get: (key) => (read.push(key), p.blobs.get(key)) }
  const mod = createEmailModule({ ...p, blobs: counting }, { conversations: t.omnidesk.services.conversations })
  const { port: modPort } = await mod.smtp.listen(0, '127.0.0.1')
  const c = smtpClient(modPort)
  try {
    assert.equal((await send(c, mail(address, { messageId: `<memory-${address}>` }))).code, 250)
  } finally {
    c.close()
    await mod.smtp.close()
  }
  await mod.processor.drain()
  const [row] = await inboundRows(t, ws.workspaceId)
  assert.equal(row?.status, 'processed', row?.last_error ?? '')
  assert.ok(!read.includes(row?.raw_blob_key as string), 'not read back')
  const raw = await p.blobs.get(row?.raw_blob_key as string)
  assert.match(raw.toString(), new RegExp(`memory-${address}`))
})
