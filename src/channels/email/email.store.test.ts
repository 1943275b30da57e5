import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import nodemailer from 'nodemailer'
import { useTestApp } from '../../../test/harness.ts'
import { createInboundStore } from './inbound-store.ts'
import { createSmtpInbound } from './smtp-inbound.ts'
import { deactivateInbox, emailInbox, inboundRows, uniqueAddress } from './test-helpers.ts'

const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')

/** A raw SMTP session: each call sends one command and resolves with the server's reply code. */
async function rawSmtp() {
  const socket = net.connect(port, '127.0.0.1')
  let buffer = ''
  const waiting: Array<(code: number) => void> = []
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    // A reply ends with a line whose code is followed by a space ("250 OK"); "250-…" lines continue it.
    for (let m = buffer.match(/^(\d{3}) .*\r\n/m); m; m = buffer.match(/^(\d{3}) .*\r\n/m)) {
      buffer = buffer.slice((m.index ?? 0) + m[0].length)
      waiting.shift()?.(Number(m[1]))
    }
  })
  const reply = () => new Promise<number>((resolve) => waiting.push(resolve))
  const greeting = await reply()
  assert.equal(greeting, 220)
  return {
    command: (line: string) => {
      const r = reply()
      socket.write(`${line}\r\n`)
      return r
    },
    close: () => socket.end(),
  }
}

test('an inbox deactivated between RCPT and DATA: 550 after the data, nothing stored', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inboxId = await emailInbox(t, ws, address)
  const smtp = await rawSmtp()
  try {
    assert.equal(await smtp.command('EHLO client.example'), 250)
    assert.equal(await smtp.command('MAIL FROM:<ada@example.com>'), 250)
    assert.equal(await smtp.command(`RCPT TO:<${address}>`), 250)
    await deactivateInbox(t, ws, inboxId)
    assert.equal(await smtp.command('DATA'), 354)
    const body = ['From: Ada <ada@example.com>', `To: ${address}`, 'Subject: Late', 'Message-ID: <late-1@example.com>', '', 'Still there?', '.'].join('\r\n')
    assert.equal(await smtp.command(body), 550)
  } finally {
    smtp.close()
  }
  assert.deepEqual(await inboundRows(t, ws.workspaceId), [])
})

test('the store writes a row only into the workspace that owns the inbox', async () => {
  const a = await t.workspace()
  const b = await t.workspace()
  const inboxOfB = await emailInbox(t, b, uniqueAddress())
  const store = createInboundStore(t.omnidesk.platform)
  const raw = Buffer.from('From: ada@example.com\r\nSubject: Crossing\r\nMessage-ID: <cross-1@example.com>\r\n\r\nHello\r\n')
  // A forged pairing: workspace A with B's inbox. Nothing may land in either workspace.
  const result = await store.store({ raw, envelopeFrom: 'ada@example.com', envelopeTo: ['x@example.com'], inboxes: [{ workspaceId: a.workspaceId, inboxId: inboxOfB, address: 'x@example.com' }] })
  assert.deepEqual(result, { stored: [], duplicates: 0, inactive: 1 })
  assert.deepEqual(await inboundRows(t, a.workspaceId), [])
  assert.deepEqual(await inboundRows(t, b.workspaceId), [])
  // The right pairing stores one row, and a repeat of the same message is a duplicate.
  const right = { raw, envelopeFrom: 'ada@example.com', envelopeTo: ['x@example.com'], inboxes: [{ workspaceId: b.workspaceId, inboxId: inboxOfB, address: 'x@example.com' }] }
  assert.equal((await store.store(right)).stored.length, 1)
  assert.deepEqual({ ...(await store.store(right)), stored: [] }, { stored: [], duplicates: 1, inactive: 0 })
  assert.equal((await inboundRows(t, b.workspaceId)).length, 1)
})

test('concurrent DATA on many connections: every mail answered 250 and stored once, repeats absorbed', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const client = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 12, maxMessages: Infinity })
  const mail = (id: string) => ({ envelope: { from: 'ada@example.com', to: [address] }, raw: `From: ada@example.com\r\nTo: ${address}\r\nSubject: ${id}\r\nMessage-ID: <${id}@example.com>\r\n\r\nHello ${id}\r\n` })
  try {
    const distinct = Array.from({ length: 24 }, (_, i) => `many-${i}`)
    // One message four times over, at once: a sender retrying on parallel connections.
    const repeats = ['again', 'again', 'again', 'again']
    const answers = await Promise.all([...distinct, ...repeats].map((id) => client.sendMail(mail(id))))
    assert.deepEqual(new Set(answers.map((a) => a.response.slice(0, 3))), new Set(['250']))
    assert.equal(answers.slice(24).filter((a) => /stored/.test(a.response)).length, 1, 'one of the repeats is stored, the others are known')
  } finally {
    client.close()
  }
  const rows = await inboundRows(t, ws.workspaceId)
  assert.equal(rows.length, 25)
  assert.equal(new Set(rows.map((r) => r.message_id_header)).size, 25)
})

test('a grouped write that fails answers 451 for each mail in it and stores nothing; the retries are stored once each', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  let failing = true
  // The store's insert fails while `failing` (a full disk, a lost connection); the recipient lookups still work.
  const db = t.omnidesk.platform.db.withPlugin({
    transformQuery(args) {
      const node = args.node as { kind: string; sqlFragments?: readonly string[] }
      if (failing && node.kind === 'RawNode' && node.sqlFragments?.join('').includes('insert into inbound_emails')) throw new Error('could not write')
      return args.node
    },
    transformResult: async (args) => args.result,
  })
  const smtp = createSmtpInbound(createInboundStore({ ...t.omnidesk.platform, db }), { maxSize: 1_000_000 }, t.omnidesk.platform.logger)
  const own = await smtp.listen(0, '127.0.0.1')
  const client = nodemailer.createTransport({ host: '127.0.0.1', port: own.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 6, maxMessages: Infinity })
  const ids = Array.from({ length: 12 }, (_, i) => `failing-${i}`)
  const sendAll = () =>
    Promise.all(
      ids.map((id) =>
        client
          .sendMail({ envelope: { from: 'ada@example.com', to: [address] }, raw: `From: ada@example.com\r\nTo: ${address}\r\nSubject: ${id}\r\nMessage-ID: <${id}@example.com>\r\n\r\nHello\r\n` })
          .then((info) => Number(info.response.slice(0, 3)), (err: { responseCode?: number }) => err.responseCode ?? 0),
      ),
    )
  try {
    assert.deepEqual(await sendAll(), ids.map(() => 451))
    assert.deepEqual(await inboundRows(t, ws.workspaceId), [])
    failing = false
    assert.deepEqual(await sendAll(), ids.map(() => 250))
  } finally {
    client.close()
    await smtp.close()
  }
  const rows = await inboundRows(t, ws.workspaceId)
  assert.deepEqual(rows.map((r) => r.message_id_header).sort(), ids.map((id) => `<${id}@example.com>`).sort())
})
