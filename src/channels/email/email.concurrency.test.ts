import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import nodemailer from 'nodemailer'
import { type Client, useTestApp } from '../../../test/harness.ts'
import { emailInbox, uniqueAddress } from './test-helpers.ts'

/**
 * Inbound mail racing itself, with the processor running while mail arrives:
 * a reply and its parent over concurrent SMTP connections in both orders, and
 * many first mails of one new sender at once. Checked through the REST API.
 */

const t = await useTestApp({}, { start: true })
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')

/** A pooled client: up to `connections` SMTP connections at once. */
const pool = (connections: number) => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: connections, maxMessages: Infinity })
const transports: Array<ReturnType<typeof pool>> = []
after(() => transports.forEach((tr) => tr.close()))

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

async function settle(): Promise<void> {
  await t.omnidesk.emailProcessor.drain()
  await t.omnidesk.platform.dispatcher.drain()
}

test('a reply and its parent over concurrent connections, in both orders, always end in one case (30 pairs)', async () => {
  const ws = await t.workspace()
  const to = uniqueAddress()
  await emailInbox(t, ws, to)
  const run = Math.random().toString(36).slice(2, 8)
  const tr = pool(16)
  transports.push(tr)
  const PAIRS = 30
  const parentId = (i: number) => `<parent-${run}-${i}@customer.example>`
  const replyId = (i: number) => `<reply-${run}-${i}@colleague.example>`
  // The reply comes from a colleague, with a subject of its own: only the headers can join the two.
  const parent = (i: number) => tr.sendMail({ from: `Pat ${i} <pat-${i}@customer.example>`, to, subject: `Broken order ${i}`, text: `Order ${i} arrived broken.`, messageId: parentId(i) })
  const reply = (i: number) =>
    tr.sendMail({ from: `Colleague ${i} <col-${i}@colleague.example>`, to, subject: `Photos for order ${i}`, text: 'Adding the photos.', messageId: replyId(i), inReplyTo: parentId(i), references: [parentId(i)] })
  await Promise.all(
    Array.from({ length: PAIRS }, async (_, i) => {
      if (i % 3 === 0) await reply(i).then(() => parent(i)) // the reply is stored before its parent is even sent
      else if (i % 3 === 1) await parent(i).then(() => reply(i))
      else await Promise.all([reply(i), parent(i)]) // both in flight at once
    }),
  )
  await settle()

  // The list is a summary; the threading decision is in each row's detail.
  const details = await Promise.all((await all(ws, '/api/v1/email/inbound')).map(async (r) => (await ws.get(`/api/v1/email/inbound/${r.id}`)).body as Record<string, unknown>))
  const rows = new Map(details.map((r) => [r.messageIdHeader as string, r]))
  assert.equal(rows.size, 2 * PAIRS)
  const split: string[] = []
  for (let i = 0; i < PAIRS; i++) {
    const p = rows.get(parentId(i)) as Record<string, unknown> & { threading: { reason: string } }
    const r = rows.get(replyId(i)) as Record<string, unknown> & { threading: { reason: string } }
    assert.equal(p.status, 'processed')
    assert.equal(r.status, 'processed')
    if (p.conversationId !== r.conversationId) split.push(`pair ${i}: parent "${p.threading.reason}" / reply "${r.threading.reason}"`)
    // Whichever was decided second says why it joined.
    else assert.ok(/In-Reply-To/.test(r.threading.reason) || /a reply to this message arrived first/.test(p.threading.reason), `pair ${i}: ${p.threading.reason} / ${r.threading.reason}`)
  }
  assert.deepEqual(split, [])
  assert.equal((await all(ws, '/api/v1/conversations')).length, PAIRS)
  const childFirst = [...rows.values()].filter((r) => /a reply to this message arrived first/.test((r.threading as { reason: string }).reason)).length
  assert.ok(childFirst >= PAIRS / 3, `at least the ${PAIRS / 3} pairs whose reply was stored first were threaded out of order (${childFirst})`)
})

for (const senders of [8, 32, 64]) {
  test(`${senders} concurrent first mails from one new sender create one contact`, async () => {
    const ws = await t.workspace()
    const to = uniqueAddress()
    await emailInbox(t, ws, to)
    const tr = pool(senders)
    transports.push(tr)
    const from = `New Customer <new-${senders}@race.example>`
    await Promise.all(Array.from({ length: senders }, (_, i) => tr.sendMail({ from, to, subject: `Question ${i}`, text: `Question number ${i}.`, messageId: `<race-${senders}-${i}@race.example>` })))
    await settle()
    const rows = await all(ws, '/api/v1/email/inbound')
    assert.deepEqual(rows.filter((r) => r.status !== 'processed').map((r) => r.reason), [])
    assert.equal((await all(ws, '/api/v1/contacts')).length, 1)
    assert.equal((await all(ws, '/api/v1/conversations')).length, senders)
  })
}
