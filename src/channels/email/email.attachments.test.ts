import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { deactivateInbox, emailInbox, send, smtpClient, uniqueAddress } from './test-helpers.ts'

const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())
const drain = () => t.omnidesk.emailProcessor.drain()

// A 1×1 PNG, and a PDF big enough to span several base64 lines.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256)), Buffer.from('\n%%EOF\n')])

async function setup() {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inboxId = await emailInbox(t, ws, address)
  return { ws, address, inboxId }
}

type ApiAttachment = { id: string; filename: string; contentType: string; size: number; contentId: string | null; inline: boolean }
type ApiMessage = { id: string; conversationId: string; html: string | null; text: string; attachments: ApiAttachment[] }

/** The messages of the one conversation an inbound mail made. */
async function messagesOfMail(ws: WorkspaceClient): Promise<ApiMessage[]> {
  const inbound = (await ws.get('/api/v1/email/inbound')).body.items
  assert.equal(inbound.length, 1, JSON.stringify(inbound))
  assert.equal(inbound[0].status, 'processed', inbound[0].reason)
  const res = await ws.get(`/api/v1/conversations/${inbound[0].conversationId}/messages`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}

async function download(ws: WorkspaceClient, m: ApiMessage, a: ApiAttachment) {
  const res = await ws.get(`/api/v1/conversations/${m.conversationId}/messages/${m.id}/attachments/${a.id}`)
  assert.equal(res.status, 200)
  return { type: res.headers['content-type'], disposition: String(res.headers['content-disposition']), bytes: res.raw.rawPayload }
}

/** Files in the workspace's part of the blob store (raw mail and attachments). */
function blobFiles(workspaceId: string): string[] {
  const dir = path.join(t.config.dataDir, 'blobs', workspaceId)
  if (!fs.existsSync(dir)) return []
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((d) => d.isFile()).map((d) => d.name)
}

const invoiceMail = (address: string) => ({
  from: 'Ada Lovelace <ada@example.com>',
  to: address,
  subject: 'Invoice and logo',
  messageId: `<invoice-${Math.random().toString(36).slice(2)}@mail.example.com>`,
  text: 'Invoice attached, logo below.',
  html: '<p>Invoice attached, logo below.</p><p><img src="cid:logo.7f3a@mail.example.com" alt="logo"></p>',
  attachments: [
    { filename: 'invoice été.pdf', content: pdf, contentType: 'application/pdf' },
    { filename: 'logo.png', content: png, contentType: 'image/png', cid: 'logo.7f3a@mail.example.com' },
  ],
})

test('a PDF and an inline cid: image become downloadable attachments, byte-identical, with contentId and inline', async () => {
  const { ws, address } = await setup()
  assert.equal((await send(client, invoiceMail(address))).code, 250)
  await drain()
  const [msg] = await messagesOfMail(ws)
  assert.ok(msg)
  assert.equal(msg.attachments.length, 2)
  const file = msg.attachments.find((a) => a.contentType === 'application/pdf')
  const logo = msg.attachments.find((a) => a.contentType === 'image/png')
  assert.ok(file && logo, JSON.stringify(msg.attachments))
  assert.deepEqual({ ...file, id: undefined }, { id: undefined, filename: 'invoice été.pdf', contentType: 'application/pdf', size: pdf.length, contentId: null, inline: false })
  assert.deepEqual({ ...logo, id: undefined }, { id: undefined, filename: 'logo.png', contentType: 'image/png', size: png.length, contentId: 'logo.7f3a@mail.example.com', inline: true })
  // The HTML keeps the reference; contentId maps it to the download.
  assert.match(msg.html ?? '', /<img [^>]*src="cid:logo\.7f3a@mail\.example\.com"/)
  const pdfDownload = await download(ws, msg, file)
  assert.equal(pdfDownload.type, 'application/pdf')
  assert.match(pdfDownload.disposition, /filename\*=UTF-8''invoice%20%C3%A9t%C3%A9\.pdf$/)
  assert.deepEqual(pdfDownload.bytes, pdf)
  assert.deepEqual((await download(ws, msg, logo)).bytes, png)
  // The OpenAPI document shows both fields.
  const doc = (await t.admin.get('/api/openapi.json')).body
  const props = doc.components.schemas.Attachment.properties
  assert.ok(props.contentId && props.inline, JSON.stringify(props))
})

test('an attached message (message/rfc822) is stored as an attachment; an unnamed part gets a name', async () => {
  const { ws, address } = await setup()
  const enclosed = ['From: Bob <bob@example.com>', 'To: ada@example.com', 'Subject: The original', 'Message-ID: <orig-1@example.com>', '', 'What I was sent.', ''].join('\r\n')
  const raw = [
    'From: Ada <ada@example.com>',
    `To: ${address}`,
    'Subject: Fwd: The original',
    'Message-ID: <fwd-1@mail.example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'See the mail I got, attached.',
    '--b1',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment',
    '',
    enclosed,
    '--b1',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('opaque bytes').toString('base64'),
    '--b1--',
    '',
  ].join('\r\n')
  assert.equal((await send(client, { envelope: { from: 'ada@example.com', to: [address] }, raw })).code, 250)
  await drain()
  const [msg] = await messagesOfMail(ws)
  assert.ok(msg)
  assert.equal(msg.text, 'See the mail I got, attached.')
  assert.deepEqual(
    msg.attachments.map((a) => [a.filename, a.contentType, a.inline]).sort(),
    [
      ['attachment-2.bin', 'application/octet-stream', false],
      ['message-1.eml', 'message/rfc822', false],
    ],
  )
  const eml = msg.attachments.find((a) => a.contentType === 'message/rfc822')
  assert.ok(eml)
  const got = await download(ws, msg, eml)
  assert.equal(got.type, 'message/rfc822')
  assert.match(got.bytes.toString('utf8'), /Subject: The original\r\n[\s\S]*What I was sent\./)
  const bin = msg.attachments.find((a) => a.filename === 'attachment-2.bin')
  assert.ok(bin)
  assert.deepEqual((await download(ws, msg, bin)).bytes, Buffer.from('opaque bytes'))
})

test('the same mail twice, or processed again after a crash, stores its attachments once', async () => {
  const { ws, address } = await setup()
  const mail = invoiceMail(address)
  assert.equal((await send(client, mail)).code, 250)
  assert.equal((await send(client, mail)).code, 250, 'a retried delivery')
  await drain()
  const [first] = await messagesOfMail(ws)
  assert.equal(first?.attachments.length, 2)
  assert.equal(blobFiles(ws.workspaceId).length, 3, 'the raw mail and two attachments')

  // The process died after the message committed, before the mail's outcome did: it is processed again.
  await t.database.db.updateTable('inbound_emails').set({ status: 'received', attempts: 0, next_attempt_at: null, processed_at: null }).where('workspace_id', '=', ws.workspaceId).execute()
  await drain()
  const detail = (await ws.get('/api/v1/email/inbound')).body.items[0]
  assert.equal((await ws.get(`/api/v1/email/inbound/${detail.id}`)).body.threading.outcome, 'duplicate')
  const messages = await messagesOfMail(ws)
  assert.equal(messages.length, 1)
  assert.deepEqual(messages[0]?.attachments.map((a) => a.id).sort(), first?.attachments.map((a) => a.id).sort())
  assert.equal(blobFiles(ws.workspaceId).length, 3, 'the second pass deleted the copies it stored')
  assert.deepEqual((await download(ws, messages[0] as ApiMessage, messages[0]?.attachments.find((a) => a.contentType === 'application/pdf') as ApiAttachment)).bytes, pdf)
})

test('a mail the conversation side refuses leaves no attachment blobs behind', async () => {
  const { ws, address, inboxId } = await setup()
  assert.equal((await send(client, invoiceMail(address))).code, 250)
  await deactivateInbox(t, ws, inboxId)
  await drain()
  const [row] = (await ws.get('/api/v1/email/inbound')).body.items
  assert.equal(row.status, 'quarantined')
  assert.match(row.reason, /inactive/)
  assert.equal(blobFiles(ws.workspaceId).length, 1, 'only the raw mail, kept for a retry')
})
