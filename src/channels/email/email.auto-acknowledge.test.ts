import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sql } from 'kysely'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { send, smtpClient, uniqueAddress } from './test-helpers.ts'
import { startRelay } from './test-relay.ts'

// Automatic acknowledgements: customer mail opening a conversation gets the
// inbox's acknowledgement through the real relay started here; automated
// senders and repeat senders within the window get none.
const t = await useTestApp({ OUTBOUND_RETRY_DELAY_SECONDS: '1' }, { start: true })
const relay = await startRelay()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const customerMail = smtpClient(port)
after(() => customerMail.close())

async function ackInbox(ws: WorkspaceClient, subject?: string) {
  const address = uniqueAddress()
  const config = {
    address,
    smtp: { host: '127.0.0.1', port: relay.port, secure: false },
    autoAcknowledge: { enabled: true, text: 'We got your message and will answer within a day.', ...(subject && { subject }) },
  }
  const res = await ws.post('/api/v1/inboxes', { name: `Support ${address}`, channel: 'email', config })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return address
}

/** Mails in and lets the processor and every listener finish; returns the conversation's messages. */
async function mailIn(ws: WorkspaceClient, mail: Parameters<typeof send>[1]) {
  assert.equal((await send(customerMail, mail)).code, 250)
  await t.omnidesk.emailProcessor.drain()
  await t.omnidesk.platform.dispatcher.drain()
  const row = (await ws.get('/api/v1/email/inbound')).body.items.find((r: { subject: string }) => r.subject === mail.subject)
  assert.ok(row?.conversationId, 'the mail opened a conversation')
  const items = (await ws.get(`/api/v1/conversations/${row.conversationId}/messages`)).body.items as Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON
  return { conversationId: row.conversationId as string, outbound: items.filter((m) => m.direction === 'outbound') }
}

test('a new conversation from customer mail is acknowledged once per sender within the window', async () => {
  const ws = await t.workspace()
  const address = await ackInbox(ws)
  const from = `ada-${Math.random().toString(36).slice(2, 8)}@example.com`
  const first = await mailIn(ws, { from, to: address, subject: 'First question', text: 'Hello' })
  assert.equal(first.outbound.length, 1, 'one acknowledgement')
  const ack = first.outbound[0]!
  assert.equal(ack.author.type, 'system')
  assert.equal(ack.metadata.automatic, true)
  const sent = await waitForDelivery(ws, first.conversationId, ack.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  const [mail] = relay.mailTo(from)
  assert.ok(mail)
  assert.equal(mail.headers.get('auto-submitted'), 'auto-replied')
  assert.match(mail.text ?? '', /^We got your message/)
  assert.equal(mail.subject, 'Re: First question', 'without a subject of its own the acknowledgement answers the customer’s')

  // It ran in the transaction the dispatcher shares for the new case's first events (handleMany), on both backends.
  const runs = await sql<{ listener_id: string; tx: string }>`
    select r.listener_id, r.xmin::text as tx from event_listener_runs r join events e on e.id = r.event_id
    where e.conversation_id = ${first.conversationId} and e.type = 'conversation.created'`.execute(t.database.db)
  const txOf = (id: string) => runs.rows.find((r) => r.listener_id === id)?.tx
  assert.ok(txOf('email.auto-acknowledge'))
  assert.equal(txOf('email.auto-acknowledge'), txOf('routing.enqueue-new-cases'), 'one transaction with routing')

  const second = await mailIn(ws, { from, to: address, subject: 'Second question', text: 'Another thing' })
  assert.notEqual(second.conversationId, first.conversationId)
  assert.equal(second.outbound.length, 0, 'the same sender is not acknowledged twice within the hour')

  const other = await mailIn(ws, { from: `bob-${Math.random().toString(36).slice(2, 8)}@example.com`, to: address, subject: 'From Bob', text: 'Hi' })
  assert.equal(other.outbound.length, 1, 'another sender is')
})

test('automated senders are never acknowledged', async () => {
  const ws = await t.workspace()
  const address = await ackInbox(ws)
  const noreply = await mailIn(ws, { from: 'noreply@shop.example', to: address, subject: 'Your order shipped', text: 'Tracking: 123' })
  assert.equal(noreply.outbound.length, 0)
  const daemon = await mailIn(ws, { from: 'MAILER-DAEMON@mx.example', to: address, subject: 'Question about my account', text: 'Hello' })
  assert.equal(daemon.outbound.length, 0)
})

test('an acknowledgement with a subject of its own is sent with exactly that subject', async () => {
  const ws = await t.workspace()
  const address = await ackInbox(ws, 'We received your request')
  const from = `eve-${Math.random().toString(36).slice(2, 8)}@example.com`
  const { conversationId, outbound } = await mailIn(ws, { from, to: address, subject: 'Broken login', text: 'Help' })
  const sent = await waitForDelivery(ws, conversationId, outbound[0]!.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)
  assert.equal(relay.mailTo(from)[0]?.subject, 'We received your request')
})
