import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildMailWorkload, sendMailWorkload } from '../bench/mail-workload.ts'
import { emailInbox, uniqueAddress } from '../src/channels/email/test-helpers.ts'
import { type Client, useTestApp } from './harness.ts'

/**
 * Correctness of inbound mail under concurrency, end to end: the 200-message
 * workload (160 new mails from 16 senders, 40 replies sent around — often
 * before — their parents) over 8, 32 and 64 SMTP connections while the
 * processor runs, then checked through the REST API: 160 cases, every reply
 * in its parent's case, 16 contacts. Runs on PGlite, and on PostgreSQL with
 * DATABASE_URL.
 */

const t = await useTestApp({}, { start: true })
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')

/** Every item of a cursor-paginated list. */
async function all(c: Client, url: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = []
  let cursor: string | null = null
  do {
    const res = await c.get(`${url}${url.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    items.push(...res.body.items)
    cursor = res.body.nextCursor
  } while (cursor)
  return items
}

/** Waits until the processor and the event listeners have nothing left to do. */
async function settle(): Promise<void> {
  await t.omnidesk.emailProcessor.drain()
  await t.omnidesk.platform.dispatcher.drain()
}

for (const concurrency of [8, 32, 64]) {
  test(`the 200-message workload at ${concurrency}-way: 160 cases, 40 replies in their parent's case, 16 contacts`, async () => {
    const ws = await t.workspace()
    const to = uniqueAddress()
    await emailInbox(t, ws, to)
    const mails = buildMailWorkload({ to, seed: concurrency })
    const sent = await sendMailWorkload({ host: '127.0.0.1', port, mails, concurrency })
    assert.equal(sent.accepted, 200)
    await settle()

    const inbound = await all(ws, '/api/v1/email/inbound')
    assert.equal(inbound.length, 200)
    const notProcessed = inbound.filter((r) => r.status !== 'processed')
    assert.deepEqual(notProcessed.map((r) => `${r.messageIdHeader}: ${r.status} ${r.reason}`), [])
    const caseOf = new Map(inbound.map((r) => [r.messageIdHeader as string, r.conversationId as string]))

    const conversations = await all(ws, '/api/v1/conversations')
    assert.equal(conversations.length, 160, 'one case per new mail')
    const misfiled = mails
      .filter((m) => m.kind === 'reply')
      .filter((m) => caseOf.get(m.messageId) !== caseOf.get((mails.find((p) => p.index === m.parentIndex) as { messageId: string }).messageId))
      .map((m) => m.messageId)
    assert.deepEqual(misfiled, [], 'every reply is in its parent case')
    // Each case holds one new mail (and its reply, if any): no two new mails were joined.
    const newCases = new Set(mails.filter((m) => m.kind === 'new').map((m) => caseOf.get(m.messageId)))
    assert.equal(newCases.size, 160)

    const contacts = await all(ws, '/api/v1/contacts')
    assert.equal(contacts.length, 16, 'one contact per sender')
  })
}
