import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { eventsOf, waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { tokenFooter, tokenReplyTo } from './conversation-token.ts'
import { dsnBounce, send, smtpClient, uniqueAddress } from './test-helpers.ts'
import { startRelay } from './test-relay.ts'

// Replies to email conversations go out through a real SMTP relay started
// here (the inbox's own `smtp` setting points at it); the instance has no
// OUTBOUND_SMTP_URL, so an inbox without `smtp` has no outbound server at all.
const t = await useTestApp({ OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '3', OUTBOUND_BREAKER_FAILURES: '100' }, { start: true })
const relay = await startRelay()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const customerMail = smtpClient(port)
after(() => customerMail.close())

const customer = () => `ada-${Math.random().toString(36).slice(2, 8)}@example.com`

async function inbox(ws: WorkspaceClient, opts: { relay?: boolean } = { relay: true }) {
  const address = uniqueAddress()
  const config = { address, displayName: 'Acme Support', ...(opts.relay && { smtp: { host: '127.0.0.1', port: relay.port, secure: false } }) }
  const res = await ws.post('/api/v1/inboxes', { name: `Support ${address}`, channel: 'email', config })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return { id: res.body.id as string, address }
}

/** The customer writes in over SMTP; returns the conversation their mail landed in. */
async function customerWrites(ws: WorkspaceClient, mail: Parameters<typeof send>[1]): Promise<string> {
  const res = await send(customerMail, mail)
  assert.equal(res.code, 250, res.response)
  await t.omnidesk.emailProcessor.drain()
  const list = await ws.get('/api/v1/email/inbound')
  const row = list.body.items.find((r: { messageId?: string; subject?: string }) => r.subject === mail.subject)
  assert.ok(row?.conversationId, `the mail became a conversation: ${JSON.stringify(list.body.items)}`)
  return row.conversationId as string
}

const deliveryStatuses = async (conversationId: string, messageId: string) =>
  (await eventsOf(t, conversationId)).filter((e) => e.type === 'message.delivery-updated' && e.payload.messageId === messageId).map((e) => e.payload.status)

test('a reply leaves with our Message-ID and threading headers, and the customer’s answer threads back', async () => {
  const ws = await t.workspace()
  const { address } = await inbox(ws)
  const from = customer()
  const subject = `Printer on fire ${Math.random().toString(36).slice(2, 6)}`
  const conversationId = await customerWrites(ws, { from: `Ada <${from}>`, to: address, subject, messageId: `<q1-${from}>`, references: ['<earlier@example.com>'], text: 'It burns.' })

  const pdf = Buffer.from('%PDF-1.4 invoice')
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, {
    text: 'We are on it.',
    html: '<p>We are <b>on it</b>.</p>',
    attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', dataBase64: pdf.toString('base64') }],
  })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  assert.equal(reply.body.deliveryStatus, 'queued')
  const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(sent.deliveryStatus, 'sent', sent.deliveryError)

  const [mail] = relay.mailTo(from)
  assert.ok(mail, 'the relay received the reply')
  const domain = address.split('@')[1]
  assert.equal(mail.messageId, sent.providerMessageId, 'our Message-ID is the provider id')
  assert.equal(mail.messageId, `<${reply.body.id}.omnidesk@${domain}>`)
  assert.ok(mail.headers.has('x-omnidesk-loop'))
  assert.equal(mail.inReplyTo, `<q1-${from}>`)
  assert.deepEqual(mail.references, ['<earlier@example.com>', `<q1-${from}>`])
  assert.equal(mail.from?.value[0]?.address, address)
  assert.equal(mail.from?.value[0]?.name, 'Acme Support')
  assert.equal(mail.replyTo?.value[0]?.address, tokenReplyTo(t.omnidesk.platform.box, address, conversationId))
  assert.equal(mail.subject, `Re: ${subject}`)
  const footer = tokenFooter(t.omnidesk.platform.box, conversationId)
  assert.ok(mail.text?.trimEnd().endsWith(footer), `text ends with the footer: ${mail.text}`)
  assert.match(mail.text ?? '', /^We are on it\./)
  assert.match(String(mail.html), /We are <b>on it<\/b>/)
  assert.equal(mail.attachments.length, 1)
  assert.equal(mail.attachments[0]?.filename, 'invoice.pdf')
  assert.deepEqual(mail.attachments[0]?.content, pdf)
  assert.deepEqual(await deliveryStatuses(conversationId, reply.body.id), ['sent'])

  // The customer answers that mail the way a mail client does.
  const answeredIn = await customerWrites(ws, {
    from: `Ada <${from}>`,
    to: address,
    subject: `Re: ${subject} (answer)`,
    messageId: `<q2-${from}>`,
    inReplyTo: mail.messageId,
    references: [...(mail.references as string[]), mail.messageId as string],
    text: 'Thanks, still burning.',
  })
  assert.equal(answeredIn, conversationId, 'the answer joins the same conversation')
  const inbound = (await ws.get('/api/v1/email/inbound')).body.items.find((r: { subject: string }) => r.subject === `Re: ${subject} (answer)`)
  const detail = (await ws.get(`/api/v1/email/inbound/${inbound.id}`)).body
  assert.equal(detail.threading.matched, 'in-reply-to', detail.threading.reason)
  const items = (await ws.get(`/api/v1/conversations/${conversationId}/messages`)).body.items
  assert.deepEqual(items.map((m: { direction: string }) => m.direction), ['inbound', 'outbound', 'inbound'])
})

test('a temporary refusal (451) defers the send, which is retried and then sent', async () => {
  const ws = await t.workspace()
  const { address } = await inbox(ws)
  const from = customer()
  const conversationId = await customerWrites(ws, { from, to: address, subject: `Deferred ${from}`, text: 'Hello?' })
  let refusals = 1
  relay.refuseWith((to) => (to === from && refusals-- > 0 ? 451 : null))
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Answer' })
  const sent = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
  assert.equal(sent.deliveryStatus, 'sent')
  assert.equal(sent.deliveryError, null)
  assert.deepEqual(await deliveryStatuses(conversationId, reply.body.id), ['deferred', 'sent'])
  const deferred = (await eventsOf(t, conversationId)).find((e) => e.type === 'message.delivery-updated' && e.payload.status === 'deferred')
  assert.match(String(deferred?.payload.error), /^SMTP_TEMPORARY_FAILURE: 451 .*\(attempt 1; will retry\)$/)
  assert.deepEqual(relay.attemptsFor(from).map((a) => a.code), [451, 250])
  assert.equal(relay.mailTo(from).length, 1)
})

test('a permanent refusal (550) fails the send with the reason, without retrying', async () => {
  const ws = await t.workspace()
  const { address } = await inbox(ws)
  const from = customer()
  const conversationId = await customerWrites(ws, { from, to: address, subject: `Refused ${from}`, text: 'Hello?' })
  relay.refuseWith((to) => (to === from ? 550 : null))
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Answer' })
  const failed = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.match(failed.deliveryError, /^SMTP_REJECTED: .*550/)
  assert.deepEqual(await deliveryStatuses(conversationId, reply.body.id), ['failed'])
  assert.deepEqual(relay.attemptsFor(from).map((a) => a.code), [550], 'tried once')
})

test('without any outbound server the reply is kept as not delivered, with the reason', async () => {
  const ws = await t.workspace()
  const { address } = await inbox(ws, { relay: false })
  const from = customer()
  const conversationId = await customerWrites(ws, { from, to: address, subject: `Nowhere ${from}`, text: 'Hello?' })
  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Answer' })
  assert.equal(reply.body.deliveryStatus, 'queued')
  const kept = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(kept.deliveryStatus, 'not_delivered')
  assert.equal(kept.deliveryError, 'not delivered: no outbound server configured')
  assert.equal(kept.text, 'Answer', 'the message is kept')
  assert.deepEqual(await deliveryStatuses(conversationId, reply.body.id), ['not_delivered'])
  assert.equal(relay.attemptsFor(from).length, 0)
})

test('after a hard bounce the address is not written to again: the reply fails naming it', async () => {
  const ws = await t.workspace()
  const { address } = await inbox(ws)
  const from = customer()
  const conversationId = await customerWrites(ws, { from, to: address, subject: `Bounced ${from}`, text: 'Hello?' })
  const bounce = dsnBounce({ to: address, recipient: from, messageId: `<bounce-${from}>` })
  assert.equal((await send(customerMail, { envelope: { from: '', to: [address] }, raw: bounce })).code, 250)
  await t.omnidesk.emailProcessor.drain()

  const reply = await ws.post(`/api/v1/conversations/${conversationId}/messages`, { text: 'Answer' })
  const failed = await waitForDelivery(ws, conversationId, reply.body.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(failed.deliveryStatus, 'failed')
  assert.equal(
    failed.deliveryError,
    `ADDRESS_UNDELIVERABLE: not sent: ${from} hard-bounced (user_unknown); an agent can clear the address on the contact once it works again, or add another email address`,
  )
  assert.equal(relay.attemptsFor(from).length, 0, 'the relay was never asked')
})
