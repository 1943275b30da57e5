import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { useTestApp } from '../../../test/harness.ts'
import { waitForDelivery } from '../../modules/conversations/test-helpers.ts'
import { send, smtpClient, uniqueAddress } from '../email/test-helpers.ts'
import { startRelay } from '../email/test-relay.ts'
import { chatInbox, visitorSocket, wsUrlOf } from './test-helpers.ts'

// The agent's reply finds no open widget, so it continues by email through a
// real SMTP relay; the visitor's email answer comes back over SMTP.
const t = await useTestApp({}, { start: true })
await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' })
const relay = await startRelay()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const customerMail = smtpClient(port)
after(() => customerMail.close())

const until = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
  for (let i = 0; i < 200; i++) {
    const v = await fn()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`gave up waiting for ${what}`)
}

test('a visitor who left gets the reply by email, and their email answer returns to the same case', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const email = await ws.post('/api/v1/inboxes', { name: 'Support mail', channel: 'email', config: { address, smtp: { host: '127.0.0.1', port: relay.port, secure: false } } })
  assert.equal(email.status, 201, JSON.stringify(email.body))
  const inboxId = await chatInbox(ws, { preChatForm: true, emailInboxId: email.body.id })
  const visitorEmail = `grace-${Math.random().toString(36).slice(2, 8)}@example.com`

  const v = visitorSocket(wsUrlOf(t, inboxId), { origin: 'https://shop.example' })
  const ready = await v.hello()
  assert.equal(ready.welcome.preChatForm, true)
  await v.send({ type: 'prechat', name: 'Grace', email: visitorEmail, topic: 'Refund' })
  await v.next((f) => f.type === 'prechat-saved')
  const ack = await v.say('I would like a refund')
  await v.close()

  const list = await ws.get('/api/v1/conversations?limit=10')
  const conversation = list.body.items[0]
  assert.equal(conversation.subject, 'Refund')
  const contact = await ws.get(`/api/v1/contacts/${conversation.contactId}`)
  assert.equal(contact.body.name, 'Grace')
  const mailIdentity = contact.body.identities.find((i: { kind: string }) => i.kind === 'email')
  assert.equal(mailIdentity?.value, visitorEmail)
  assert.equal(mailIdentity?.verified, false, 'a typed email is unverified')

  const reply = await ws.post(`/api/v1/conversations/${conversation.id}/messages`, { text: 'Your refund is on its way.' })
  const chatStatus = await waitForDelivery(ws, conversation.id, reply.body.id, ['sent', 'failed', 'not_delivered'])
  assert.equal(chatStatus.deliveryStatus, 'not_delivered')
  assert.match(chatStatus.deliveryError, /^VISITOR_OFFLINE/)

  const mail = await until('the reply by email', async () => relay.mailTo(visitorEmail)[0])
  assert.match(mail.text ?? '', /^Your refund is on its way\./)
  const messages = (await ws.get(`/api/v1/conversations/${conversation.id}/messages`)).body.items
  assert.deepEqual(messages.map((m: { direction: string; channel: string }) => `${m.direction}/${m.channel}`), ['inbound/chat', 'outbound/chat', 'outbound/email'])

  const answer = await send(customerMail, {
    from: `Grace <${visitorEmail}>`,
    to: address,
    subject: `Re: ${mail.subject ?? 'Refund'}`,
    inReplyTo: mail.messageId as string,
    references: [mail.messageId as string],
    text: 'Thank you, received!',
  })
  assert.equal(answer.code, 250, answer.response)
  await t.omnidesk.emailProcessor.drain()
  const after = (await ws.get(`/api/v1/conversations/${conversation.id}/messages`)).body.items
  assert.deepEqual(after.map((m: { text: string }) => m.text.trim().split('\n')[0]), ['I would like a refund', 'Your refund is on its way.', 'Your refund is on its way.', 'Thank you, received!'])
  assert.equal(after[3].channel, 'email')
  assert.equal(ack.type, 'ack')
})

test('a pre-chat email someone else already has attaches nobody: the visitor keeps its own contact, and an agent gets a merge suggestion', async () => {
  const ws = await t.workspace()
  const inboxId = await chatInbox(ws, { preChatForm: true })
  const owner = await ws.post('/api/v1/contacts', { name: 'Real Ada', identities: [{ kind: 'email', value: 'ada@example.com' }] })
  assert.equal(owner.status, 201)
  const v = visitorSocket(wsUrlOf(t, inboxId), { origin: 'https://shop.example' })
  await v.hello()
  await v.send({ type: 'prechat', name: 'Not Ada', email: 'ada@example.com' })
  await v.next((f) => f.type === 'prechat-saved')
  const ack = await v.say('show me Ada’s orders')
  assert.equal(ack.type, 'ack')
  const conv = (await ws.get('/api/v1/conversations?limit=10')).body.items[0]
  assert.notEqual(conv.contactId, owner.body.id)
  // The claim is evidence for an agent: a merge suggestion, not a merge.
  const suggestions = (await ws.get('/api/v1/merge-suggestions')).body.items as Array<{ contactAId: string; contactBId: string; status: string; evidence: { source: string; identity?: { value: string } } }>
  assert.equal(suggestions.length, 1, JSON.stringify(suggestions))
  assert.deepEqual([suggestions[0]?.contactAId, suggestions[0]?.contactBId].sort(), [owner.body.id, conv.contactId].sort())
  assert.equal(suggestions[0]?.status, 'open')
  assert.equal(suggestions[0]?.evidence.source, 'chat.pre-chat-form')
  assert.equal(suggestions[0]?.evidence.identity?.value, 'ada@example.com')
  assert.equal((await ws.get(`/api/v1/contacts/${conv.contactId}`)).body.mergedIntoId, null)
  const other = visitorSocket(wsUrlOf(t, inboxId), { origin: 'https://shop.example' })
  assert.deepEqual((await other.hello()).history, [], 'a new visitor sees nothing')
  await Promise.all([v.close(), other.close()])
})
