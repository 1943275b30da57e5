import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { eventsOf, member, waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { dsnBounce, send, smtpClient, uniqueAddress } from './test-helpers.ts'
import { startRelay } from './test-relay.ts'

// The whole path over real protocols: the customer writes in over SMTP, the
// agent's replies go out through a real SMTP relay, the bounce comes back over
// SMTP, and the agent sees and clears it through the API. Two soft bounces in a
// row pause an address here (EMAIL_SOFT_BOUNCE_LIMIT=2).
const t = await useTestApp({ OUTBOUND_RETRY_DELAY_SECONDS: '1', OUTBOUND_RETRY_LIMIT: '1', OUTBOUND_BREAKER_FAILURES: '100', EMAIL_SOFT_BOUNCE_LIMIT: '2', EMAIL_SOFT_BOUNCE_PAUSE_HOURS: '24' }, { start: true })
const relay = await startRelay()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const mail = smtpClient(port)
after(() => mail.close())

const customer = () => `cust-${Math.random().toString(36).slice(2, 8)}@example.com`

interface Setup {
  ws: WorkspaceClient
  agent: Awaited<ReturnType<typeof member>>['client']
  address: string
  from: string
  conversationId: string
  contactId: string
}

/** A workspace with an email inbox (relay configured), an agent, and a customer who wrote in. */
async function setup(): Promise<Setup> {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const inbox = await ws.post('/api/v1/inboxes', { name: `Support ${address}`, channel: 'email', config: { address, smtp: { host: '127.0.0.1', port: relay.port, secure: false } } })
  assert.equal(inbox.status, 201, JSON.stringify(inbox.body))
  const from = customer()
  assert.equal((await send(mail, { from, to: address, subject: `Help ${from}`, text: 'Where is my order?' })).code, 250)
  await t.omnidesk.emailProcessor.drain()
  const conv = (await ws.get('/api/v1/conversations')).body.items[0]
  assert.ok(conv, 'the mail opened a conversation')
  const { client: agent } = await member(ws, 'agent')
  return { ws, agent, address, from, conversationId: conv.id, contactId: conv.contactId }
}

async function reply(s: Setup, text: string) {
  const res = await s.agent.post(`/api/v1/conversations/${s.conversationId}/messages`, { text })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return waitForDelivery(s.agent, s.conversationId, res.body.id, ['sent', 'failed', 'not_delivered'])
}

async function bounce(s: Setup, opts: { status: string; diagnostic: string; originalMessageId?: string }) {
  const raw = dsnBounce({ to: s.address, recipient: s.from, messageId: `<bounce-${Math.random().toString(36).slice(2)}@mx.example.com>`, ...opts })
  assert.equal((await send(mail, { envelope: { from: '', to: [s.address] }, raw })).code, 250)
  await t.omnidesk.emailProcessor.drain()
}

async function emailIdentity(s: Setup) {
  const contact = await s.agent.get(`/api/v1/contacts/${s.contactId}`)
  assert.equal(contact.status, 200, JSON.stringify(contact.body))
  return contact.body.identities.find((i: { kind: string }) => i.kind === 'email')
}

test('a hard bounce: the contact shows why, replies are refused with the reason, an agent clears it and replies go out again', async () => {
  const s = await setup()
  const first = await reply(s, 'We are looking into it.')
  assert.equal(first.deliveryStatus, 'sent')
  const domain = s.address.slice(s.address.indexOf('@') + 1)
  await bounce(s, { status: '5.1.1', diagnostic: `smtp; 550 5.1.1 <${s.from}>: Recipient address rejected: User unknown in virtual mailbox table`, originalMessageId: `<${first.id}.omnidesk@${domain}>` })

  const identity = await emailIdentity(s)
  assert.equal(identity.undeliverable, true)
  assert.equal(identity.deliverability.status, 'undeliverable')
  assert.equal(identity.deliverability.sendable, false)
  assert.equal(identity.deliverability.reason, 'user_unknown')
  assert.equal(identity.deliverability.dsnStatus, '5.1.1')
  assert.match(identity.deliverability.diagnostic, /User unknown in virtual mailbox table/)
  assert.ok(identity.deliverability.bouncedAt)
  assert.equal(identity.deliverability.expiresAt, null, 'a hard bounce does not expire')

  // The timeline of the conversation whose reply bounced shows the bounce and its reason.
  const timeline = (await s.agent.get(`/api/v1/conversations/${s.conversationId}/timeline?limit=100`)).body.items
  const shown = timeline.find((i: { kind: string; event?: { type: string } }) => i.kind === 'event' && i.event?.type === 'email.bounced')
  assert.ok(shown, JSON.stringify(timeline.map((i: { kind: string; event?: { type: string } }) => i.event?.type ?? i.kind)))
  assert.equal(shown.event.payload.reason, 'user_unknown')
  assert.equal(shown.event.payload.hard, true)
  assert.equal(shown.event.payload.outcome, 'undeliverable')

  const relayed = relay.attemptsFor(s.from).length
  const refused = await reply(s, 'Did you get this?')
  assert.equal(refused.deliveryStatus, 'failed')
  assert.match(refused.deliveryError, /^ADDRESS_UNDELIVERABLE: not sent: \S+ hard-bounced \(user_unknown: .*User unknown/)
  const update = (await eventsOf(t, s.conversationId)).find((e) => e.type === 'message.delivery-updated' && e.payload.messageId === refused.id && e.payload.status === 'failed')
  const details = update?.payload.details as { addresses: Array<{ email: string; reason: string; status: string }> }
  assert.deepEqual(details.addresses.map((a) => [a.email, a.status, a.reason]), [[s.from, 'undeliverable', 'user_unknown']])
  assert.equal(relay.attemptsFor(s.from).length, relayed, 'the relay was not asked')

  // An auditor may read but not clear; an agent may.
  const { client: auditor } = await member(s.ws, 'auditor')
  const clearUrl = `/api/v1/contacts/${s.contactId}/identities/${identity.id}/deliverability/clear`
  assert.equal((await auditor.post(clearUrl, {})).status, 403)
  const stranger = await t.workspace()
  assert.equal((await stranger.post(clearUrl, {})).status, 404, 'another workspace cannot see the contact')
  const cleared = await s.agent.post(clearUrl, {})
  assert.equal(cleared.status, 200, JSON.stringify(cleared.body))
  const after = cleared.body.identities.find((i: { id: string }) => i.id === identity.id)
  assert.equal(after.deliverability.status, 'ok')
  assert.equal(after.undeliverable, false)
  const audit = (await s.ws.get(`/api/v1/audit-events?entityType=contact&entityId=${s.contactId}&action=contact.deliverability-cleared`)).body.items
  assert.equal(audit.length, 1)
  assert.equal(audit[0].changes.before.reason, 'user_unknown')

  const again = await reply(s, 'Trying again now that the address works.')
  assert.equal(again.deliveryStatus, 'sent')
  assert.equal(relay.attemptsFor(s.from).length, relayed + 1)
})

test('a full mailbox (even as 5.2.2) does not block; soft bounces in a row pause the address until the pause expires', async () => {
  const s = await setup()
  await bounce(s, { status: '5.2.2', diagnostic: 'smtp; 552 5.2.2 Mailbox full' })
  let identity = await emailIdentity(s)
  assert.equal(identity.deliverability.status, 'soft_bounced')
  assert.equal(identity.deliverability.reason, 'mailbox_full')
  assert.equal(identity.deliverability.sendable, true)
  assert.equal(identity.undeliverable, false)
  assert.equal(identity.deliverability.softBounces, 1)
  assert.ok(Date.parse(identity.deliverability.expiresAt) > Date.now(), 'the streak ends some day')
  assert.equal((await reply(s, 'Sent despite one soft bounce')).deliveryStatus, 'sent')
  const inbound = (await s.ws.get('/api/v1/email/inbound?classification=bounce')).body.items
  const detail = (await s.ws.get(`/api/v1/email/inbound/${inbound[0].id}`)).body
  assert.equal(detail.classificationDetails.hard, false)
  assert.deepEqual(detail.classificationDetails.softBounced, [s.from])

  // The second in a row (EMAIL_SOFT_BOUNCE_LIMIT=2) pauses sending for EMAIL_SOFT_BOUNCE_PAUSE_HOURS.
  await bounce(s, { status: '4.2.2', diagnostic: 'smtp; 452 4.2.2 Over quota' })
  identity = await emailIdentity(s)
  assert.equal(identity.deliverability.status, 'soft_bounced')
  assert.equal(identity.deliverability.sendable, false)
  assert.equal(identity.undeliverable, true)
  const pauseEnds = Date.parse(identity.deliverability.expiresAt)
  assert.ok(pauseEnds > Date.now() + 23 * 3_600_000 && pauseEnds <= Date.now() + 24 * 3_600_000, identity.deliverability.expiresAt)
  const paused = await reply(s, 'Paused?')
  assert.equal(paused.deliveryStatus, 'failed')
  assert.match(paused.deliveryError, /paused after repeated soft bounces \(quota/)

  // Time passes (the pause is moved into the past): sending resumes without anyone clearing it.
  await t.database.db.updateTable('contact_identities').set({ soft_blocked_until: new Date(Date.now() - 1000) }).where('id', '=', identity.id).execute()
  identity = await emailIdentity(s)
  assert.equal(identity.deliverability.status, 'ok')
  assert.equal((await reply(s, 'Back again')).deliveryStatus, 'sent')
})

test('a spam block from our IP and a greylisting delay never mark the address', async () => {
  const s = await setup()
  await bounce(s, { status: '5.7.1', diagnostic: 'smtp; 554 5.7.1 Service unavailable; Client host [198.51.100.20] blocked using zen.spamhaus.org' })
  let identity = await emailIdentity(s)
  assert.equal(identity.deliverability.reason, 'blocked')
  assert.equal(identity.deliverability.sendable, true)
  const delayed = dsnBounce({ to: s.address, recipient: s.from, messageId: '<delay-1@mx.example.com>', status: '4.7.1', diagnostic: 'smtp; 450 4.7.1 Greylisted, try again later' }).replace('Action: failed', 'Action: delayed')
  assert.equal((await send(mail, { envelope: { from: '', to: [s.address] }, raw: delayed })).code, 250)
  await t.omnidesk.emailProcessor.drain()
  identity = await emailIdentity(s)
  assert.equal(identity.deliverability.softBounces, 1, 'a delay is not a bounce')
  assert.equal((await reply(s, 'Still reaching you')).deliveryStatus, 'sent')
})
