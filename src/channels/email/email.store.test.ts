import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { createInboundStore } from './inbound-store.ts'
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
