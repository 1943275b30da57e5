import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { SendMailOptions } from 'nodemailer'
import { useTestApp, type WorkspaceClient } from '../../../test/harness.ts'
import { conversationToken, tokenFooter, tokenReplyTo } from './conversation-token.ts'
import { normaliseSubject } from './threading.ts'
import { send, smtpClient, uniqueAddress } from './test-helpers.ts'

/*
 * Threading through the public edges: mail in over SMTP, results read through
 * the REST API. Elapsed days are simulated by moving timestamps back in SQL.
 */

const t = await useTestApp()
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
const client = smtpClient(port)
after(() => client.close())
const box = t.omnidesk.platform.box

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON

async function setup(threading?: Record<string, number>) {
  const ws = await t.workspace()
  const address = uniqueAddress()
  const res = await ws.post('/api/v1/inboxes', { name: `Support ${address}`, channel: 'email', config: { address, ...(threading && { threading }) } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return { ws, address, inboxId: res.body.id as string }
}

/** Sends one mail, processes it, and returns its inbound row (detail) as the API shows it. */
async function deliver(ws: WorkspaceClient, mail: SendMailOptions): Promise<Json> {
  const res = await send(client, mail)
  assert.equal(res.code, 250, res.response)
  await t.omnidesk.emailProcessor.drain()
  const list = (await ws.get('/api/v1/email/inbound?limit=1')).body.items
  const detail = await ws.get(`/api/v1/email/inbound/${list[0].id}`)
  assert.equal(detail.status, 200)
  assert.equal(detail.body.status, 'processed', JSON.stringify(detail.body))
  return detail.body
}

async function timeline(ws: WorkspaceClient, conversationId: string): Promise<Json[]> {
  const res = await ws.get(`/api/v1/conversations/${conversationId}/timeline?limit=200`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}
const eventsIn = (items: Json[], type: string) => items.filter((i) => i.kind === 'event' && i.event.type === type).map((i) => i.event.payload)

const ageConversation = (id: string, days: number) =>
  t.database.db
    .updateTable('conversations')
    .set({ last_message_at: new Date(Date.now() - days * 86_400_000), created_at: new Date(Date.now() - days * 86_400_000) })
    .where('id', '=', id)
    .execute()

const setStatus = async (ws: WorkspaceClient, id: string, ...statuses: string[]) => {
  for (const status of statuses) assert.equal((await ws.patch(`/api/v1/conversations/${id}`, { status })).status, 200)
}

test('normaliseSubject strips repeated reply/forward prefixes and whitespace', () => {
  assert.equal(normaliseSubject('RE: Fwd:  AW: SV:Antw: FW: re[2]: Printer   on fire '), 'Printer on fire')
  assert.equal(normaliseSubject('Ref: invoice 42'), 'Ref: invoice 42', 'Ref: is not a reply prefix')
  assert.equal(normaliseSubject(null), '')
})

test('References alone (In-Reply-To dropped) threads the mail, and the timeline says why', async () => {
  const { ws, address } = await setup({ subjectFallbackDays: 0 })
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Refund', messageId: '<r-1@mail.example.com>', text: 'I want a refund.' })
  const reply = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'something else', messageId: '<r-2@mail.example.com>', references: '<unknown@elsewhere.test> <r-1@mail.example.com>', text: 'Any news?' })
  assert.equal(reply.conversationId, first.conversationId)
  assert.equal(reply.threading.matched, 'references')
  assert.equal(reply.threading.reason, 'matched References header <r-1@mail.example.com>')
  assert.equal(reply.threading.outcome, 'appended')
  const threaded = eventsIn(await timeline(ws, first.conversationId), 'message.threaded')
  assert.deepEqual(threaded.map((p) => [p.messageId, p.rule, p.reason]), [
    [first.messageId, null, first.threading.reason],
    [reply.messageId, 'references', 'matched References header <r-1@mail.example.com>'],
  ])
})

test('a conversation token in the recipient plus-address threads a mail without headers', async () => {
  const { ws, address } = await setup({ subjectFallbackDays: 0 })
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Order 7', text: 'Where is my order?' })
  const replyTo = tokenReplyTo(box, address, first.conversationId)
  assert.match(replyTo, /^support\+odk-/)
  const reply = await deliver(ws, { from: 'ada@example.com', to: replyTo, subject: 'a new subject', text: 'Still waiting.' })
  assert.equal(reply.conversationId, first.conversationId)
  assert.equal(reply.threading.matched, 'token')
  assert.equal(reply.threading.reason, `matched conversation token in recipient ${replyTo}`)
  const threaded = eventsIn(await timeline(ws, first.conversationId), 'message.threaded')
  assert.equal(threaded.at(-1)?.reason, `matched conversation token in recipient ${replyTo}`)
})

test('a footer token threads a mail sent to the plain address without headers', async () => {
  const { ws, address } = await setup({ subjectFallbackDays: 0 })
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Login', text: 'I cannot log in.' })
  const footer = tokenFooter(box, first.conversationId)
  const reply = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: something', text: `It works now.\n\n> We reset it.\n> ${footer}` })
  assert.equal(reply.conversationId, first.conversationId)
  assert.equal(reply.threading.matched, 'token')
  assert.equal(reply.threading.token, 'footer')
  assert.equal(reply.threading.reason, 'matched conversation token in footer')
})

test('a forged or garbled token does not thread; neither does a valid token of another workspace', async () => {
  const { ws, address } = await setup({ subjectFallbackDays: 0 })
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Billing', text: 'Wrong invoice.' })
  const token = conversationToken(box, first.conversationId)
  const forged = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`
  const [local, domain] = address.split('@') as [string, string]
  const viaAddress = await deliver(ws, { from: 'mallory@example.com', to: `${local}+${forged}@${domain}`, subject: 'x', text: 'Let me in.' })
  assert.notEqual(viaAddress.conversationId, first.conversationId)
  assert.equal(viaAddress.threading.matched, null)
  assert.match(viaAddress.threading.reason, /ignored a conversation token in recipient .* that does not verify/)
  const viaFooter = await deliver(ws, { from: 'mallory@example.com', to: address, subject: 'y', text: `Hi [${forged.toUpperCase()}]` })
  assert.notEqual(viaFooter.conversationId, first.conversationId)
  assert.match(viaFooter.threading.reason, /ignored a conversation token in footer that does not verify/)

  // The instance secret is shared, so a token of workspace A verifies; it still must not reach into A from B.
  const other = await setup({ subjectFallbackDays: 0 })
  const cross = await deliver(other.ws, { from: 'ada@example.com', to: tokenReplyTo(box, other.address, first.conversationId), subject: 'z', text: 'Hello?' })
  assert.notEqual(cross.conversationId, first.conversationId)
  assert.equal(cross.threading.matched, null)
  assert.match(cross.threading.reason, /for a conversation that does not exist here/)
  assert.equal((await other.ws.get(`/api/v1/conversations/${first.conversationId}`)).status, 404)
})

test('subject fallback: same contact and normalised subject joins a still-open case within the window', async () => {
  const { ws, address } = await setup()
  const first = await deliver(ws, { from: 'Ada <ada@example.com>', to: address, subject: 'Printer on fire', text: 'Help!' })
  const again = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'RE: Fwd:  printer on  FIRE', text: 'Still burning.' })
  assert.equal(again.conversationId, first.conversationId)
  assert.equal(again.threading.matched, 'subject')
  assert.match(again.threading.reason, /^same contact and subject "printer on FIRE" within 7 days \(conversation #\d+\)$/)

  // Another sender with the same subject is another case.
  const stranger = await deliver(ws, { from: 'bob@example.com', to: address, subject: 'Re: Printer on fire', text: 'Mine too.' })
  assert.notEqual(stranger.conversationId, first.conversationId)
  assert.equal(stranger.threading.matched, null)
})

test('subject fallback respects the days and the open-case condition', async () => {
  const { ws, address } = await setup({ subjectFallbackDays: 3 })
  const old = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Old matter', text: 'One' })
  await ageConversation(old.conversationId, 4)
  const late = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Old matter', text: 'Two' })
  assert.notEqual(late.conversationId, old.conversationId, 'older than 3 days: a new conversation')
  assert.match(late.threading.reason, /no open conversation of this contact with subject "Old matter" in the last 3 days: new conversation$/)

  const recent = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Recent matter', text: 'Three' })
  await ageConversation(recent.conversationId, 2)
  const joined = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Recent matter', text: 'Four' })
  assert.equal(joined.conversationId, recent.conversationId, 'within 3 days: joined')

  await setStatus(ws, recent.conversationId, 'solved')
  const afterSolved = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Recent matter', text: 'Five' })
  assert.notEqual(afterSolved.conversationId, recent.conversationId, 'a solved case is not joined by subject')
  assert.equal(afterSolved.threading.matched, null)
  assert.equal((await ws.get(`/api/v1/conversations/${recent.conversationId}`)).body.status, 'solved')
})

test('subject fallback can be disabled per inbox', async () => {
  const { ws, address, inboxId } = await setup({ subjectFallbackDays: 0 })
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Same words', text: 'One' })
  const second = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Same words', text: 'Two' })
  assert.notEqual(second.conversationId, first.conversationId)
  assert.match(second.threading.reason, /subject fallback off: new conversation$/)
  assert.equal((await ws.patch(`/api/v1/inboxes/${inboxId}`, { config: { threading: { subjectFallbackDays: -1 } } })).status, 400, 'settings are validated')
})

test('a reply to a solved case within the reopen window reopens it', async () => {
  const { ws, address } = await setup()
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Wifi', messageId: '<w-1@mail.example.com>', text: 'No wifi.' })
  await setStatus(ws, first.conversationId, 'solved')
  await t.database.db.updateTable('conversations').set({ solved_at: new Date(Date.now() - 13 * 86_400_000) }).where('id', '=', first.conversationId).execute()
  const reply = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Wifi', inReplyTo: '<w-1@mail.example.com>', text: 'It is gone again.' })
  assert.equal(reply.conversationId, first.conversationId)
  assert.equal(reply.threading.outcome, 'reopened')
  const conv = (await ws.get(`/api/v1/conversations/${first.conversationId}`)).body
  assert.equal(conv.status, 'open')
  assert.equal(conv.reopenCount, 1)
  assert.equal(conv.followUpOf, null)
  const items = await timeline(ws, first.conversationId)
  assert.equal(eventsIn(items, 'conversation.reopened').length, 1)
  assert.equal(eventsIn(items, 'message.threaded').at(-1)?.outcome, 'reopened')
})

test('after the reopen window, or when closed, a reply opens a follow-up linked to the old case', async () => {
  const { ws, address } = await setup({ reopenWindowDays: 3 })
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Wifi', messageId: '<f-1@mail.example.com>', text: 'No wifi.' })
  await setStatus(ws, first.conversationId, 'solved')
  await t.database.db.updateTable('conversations').set({ solved_at: new Date(Date.now() - 4 * 86_400_000) }).where('id', '=', first.conversationId).execute()
  const late = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Wifi', messageId: '<f-2@mail.example.com>', inReplyTo: '<f-1@mail.example.com>', text: 'Gone again.' })
  assert.notEqual(late.conversationId, first.conversationId)
  assert.equal(late.threading.matched, 'in-reply-to')
  assert.equal(late.threading.outcome, 'follow-up')
  assert.equal(late.threading.followUpOf, first.conversationId)
  const followUp = (await ws.get(`/api/v1/conversations/${late.conversationId}`)).body
  assert.equal(followUp.followUpOf, first.conversationId)
  assert.equal(followUp.status, 'open')
  const old = (await ws.get(`/api/v1/conversations/${first.conversationId}`)).body
  assert.equal(old.status, 'solved', 'the old case stays solved')
  assert.equal(old.reopenCount, 0)
  for (const id of [first.conversationId, late.conversationId]) {
    const [link] = eventsIn(await timeline(ws, id), 'conversation.follow-up-linked')
    assert.deepEqual([link?.followUpOf, link?.followUpId, link?.reason], [first.conversationId, late.conversationId, 'reopen-window-passed'], id)
  }

  // Closed is final whatever the window: the next reply follows up the follow-up.
  await setStatus(ws, late.conversationId, 'solved', 'closed')
  const afterClose = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Wifi', references: '<f-1@mail.example.com> <f-2@mail.example.com>', text: 'And again.' })
  assert.equal(afterClose.threading.outcome, 'follow-up')
  const second = (await ws.get(`/api/v1/conversations/${afterClose.conversationId}`)).body
  assert.notEqual(second.id, late.conversationId)
  assert.equal(second.followUpOf, late.conversationId)
  const [closedLink] = eventsIn(await timeline(ws, late.conversationId), 'conversation.follow-up-linked').filter((p) => p.followUpOf === late.conversationId)
  assert.equal(closedLink?.reason, 'closed')
})

test('splitting a mis-threaded mail re-files its inbound row; later replies follow the message', async () => {
  const { ws, address } = await setup({ subjectFallbackDays: 0 })
  const first = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Printer', messageId: '<p-1@mail.example.com>', text: 'Printer broken.' })
  const other = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Printer', messageId: '<p-2@mail.example.com>', inReplyTo: '<p-1@mail.example.com>', text: 'New topic: my invoice.' })
  assert.equal(other.conversationId, first.conversationId)
  const split = await ws.post(`/api/v1/conversations/${first.conversationId}/messages/${other.messageId}/split`, { subject: 'Invoice' })
  assert.equal(split.status, 201, JSON.stringify(split.body))
  await t.omnidesk.platform.dispatcher.drain()
  const refiled = (await ws.get(`/api/v1/email/inbound/${other.id}`)).body
  assert.equal(refiled.conversationId, split.body.id)
  assert.equal(refiled.threading.conversationId, first.conversationId, 'the original decision is kept')
  const reply = await deliver(ws, { from: 'ada@example.com', to: address, subject: 'Re: Printer', inReplyTo: '<p-2@mail.example.com>', text: 'About that invoice…' })
  assert.equal(reply.conversationId, split.body.id)
})
