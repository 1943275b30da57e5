import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { classifyEmail } from './classify.ts'
import { expectedClassification, fixtureDir, fixtureFiles } from './email.fixtures.ts'
import { generateMessageId, isOwnMessageId } from './message-id.ts'
import { parseEmail } from './parse.ts'
import { extractReplyText } from './reply-text.ts'

const mail = (headers: string, body = 'Hello, my order #42 has not arrived.') => parseEmail(Buffer.from(`${headers.trim()}\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`))

test('every real fixture parses and gets the expected classification', async () => {
  const files = fixtureFiles()
  assert.equal(files.length, 56)
  for (const file of files) {
    const parsed = await parseEmail(fs.readFileSync(path.join(fixtureDir, file)))
    assert.equal(classifyEmail(parsed).classification, expectedClassification(file), file)
  }
})

test('bounces report the failed recipient and status code, hard vs soft', async () => {
  const read = async (f: string) => classifyEmail(await parseEmail(fs.readFileSync(path.join(fixtureDir, f))))
  const zed = await read('flanker__bounce_zed.eml')
  assert.equal(zed.details.hard, true)
  assert.equal(zed.details.statusCode, '5.1.1')
  assert.deepEqual((zed.details.recipients as Array<{ recipient: string }>).map((r) => r.recipient), ['asdfasdfasdfasdfasdfasdfewrqertrtyrthsfgdfgadfqeadvxzvz@gmail.com'])
  const full = await read('flanker__bounce_mailbox-full.eml')
  assert.equal(full.details.statusCode, '5.2.2')
  assert.equal(full.details.hard, false, 'a full mailbox is soft, even with 5.2.2')
  assert.equal(full.details.reason, 'mailbox_full')
  const delayed = await read('flanker__bounce_no-mx.eml')
  assert.equal(delayed.details.hard, false, 'a delay (4.x.x) is soft')
  const gmail = await read('flanker__bounce_gmail-invalid-address.eml')
  assert.equal(gmail.details.hard, true, 'the plain-text Gmail notice is understood too')
  assert.equal((gmail.details.recipients as Array<{ recipient: string }>)[0]?.recipient, 'awfawfawfawfawfaw@someserverhere.com')
})

test('auto-replies are recognised by header and by vacation subject; Outlook’s X-Auto-Response-Suppress is not one', async () => {
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: Re: hi\r\nAuto-Submitted: auto-replied')).classification, 'auto_reply')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: Re: hi\r\nAuto-Submitted: no')).classification, 'customer')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: hi\r\nX-Autoreply: yes')).classification, 'auto_reply')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: hi\r\nX-Autorespond: Auto-Reply')).classification, 'auto_reply')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: news\r\nPrecedence: list')).classification, 'auto_reply')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: Out of Office: back Monday')).classification, 'auto_reply')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: Automatic reply: your ticket')).classification, 'auto_reply')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: Abwesenheitsnotiz')).classification, 'auto_reply')
  const outlook = await mail('From: Bob <bob@corp.test>\r\nSubject: Where is my refund?\r\nX-Auto-Response-Suppress: All\r\nThread-Index: AQHZ')
  assert.equal(classifyEmail(outlook).classification, 'customer')
  assert.equal(classifyEmail(await mail('From: a@x.test\r\nSubject: My office is out of toner')).classification, 'customer')
})

test('a plain-text notice from mailer-daemon is a bounce, a customer writing about delivery is not', async () => {
  const daemon = await mail('From: Mail Delivery Subsystem <MAILER-DAEMON@mx.test>\r\nSubject: Undelivered Mail Returned to Sender', 'Delivery to the following recipient failed permanently:\n\n   gone@example.com\n\n550 5.1.1 user unknown')
  const c = classifyEmail(daemon)
  assert.equal(c.classification, 'bounce')
  assert.equal(c.details.hard, true)
  assert.equal(c.details.statusCode, '5.1.1')
  const customer = await mail('From: ada@example.com\r\nSubject: Delivery failure of my parcel')
  assert.equal(classifyEmail(customer).classification, 'customer')
  const person = await mail('From: ada@example.com\r\nSubject: the form', 'Message not delivered - I tried to send you the form but your system said: Your message could not be delivered.')
  assert.equal(classifyEmail(person).classification, 'customer', 'ordinary words about a failed delivery, from a person')
  const exim = await mail('From: robot@mx.test\r\nSubject: hello', 'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  gone@example.com\n    550 5.1.1 User unknown\n')
  assert.equal(classifyEmail(exim).details.reason, 'user_unknown', 'an MTA notice is one whatever its sender and subject')
})

test('our own mail coming back is an own loop', async () => {
  const id = generateMessageId('mail.omnidesk.test')
  assert.ok(isOwnMessageId(id))
  assert.equal(classifyEmail(await mail(`From: support@acme.test\r\nSubject: Re: hi\r\nMessage-ID: ${id}`)).classification, 'own_loop')
  assert.equal(classifyEmail(await mail('From: support@acme.test\r\nSubject: Re: hi\r\nX-Omnidesk-Loop: 1')).classification, 'own_loop')
  assert.equal(classifyEmail(await mail(`From: ada@example.com\r\nSubject: Re: hi\r\nIn-Reply-To: ${id}`)).classification, 'customer', 'a reply to our mail is a customer message')
})

test('reply text: quoted history, Outlook headers and signatures are separated from the new text', () => {
  const gmail = extractReplyText('Thanks, that worked!\n\nOn Mon, 3 Jun 2024 at 10:00, Support <support@acme.test> wrote:\n> Please restart it.\n> \n> Bob')
  assert.deepEqual(gmail, { text: 'Thanks, that worked!', quoted: true, signature: false })
  const wrapped = extractReplyText('Yes.\n\nOn Mon, 3 Jun 2024 at 10:00, Support Team of ACME\n<support@acme.test> wrote:\n> Is it fixed?')
  assert.equal(wrapped.text, 'Yes.')
  const outlook = extractReplyText('Still broken.\n\n________________________________\nFrom: Support <support@acme.test>\nSent: Monday, June 3, 2024 10:00\nTo: Ada\nSubject: RE: printer\n\nPlease restart it.')
  assert.equal(outlook.text, 'Still broken.')
  const original = extractReplyText('See below.\n\n-----Original Message-----\nFrom: x\nold text')
  assert.equal(original.text, 'See below.')
  const sig = extractReplyText('Please call me.\n\n-- \nAda Lovelace\nAnalytical Engines Ltd')
  assert.deepEqual(sig, { text: 'Please call me.', quoted: false, signature: true })
  const mobile = extractReplyText('On my way.\n\nSent from my iPhone')
  assert.equal(mobile.text, 'On my way.')
  const inline = extractReplyText('On Mon, Bob wrote:\n> Which model?\nThe X200.\n> Which year?\n2019.')
  assert.equal(inline.text, 'The X200.\n2019.', 'inline answers are kept, quotes dropped')
  const forwarded = extractReplyText('FYI\n\n---------- Forwarded message ----------\nFrom: Bob <bob@x.test>\nDate: Mon, 3 Jun 2024\n\nThe invoice is wrong.')
  assert.match(forwarded.text, /The invoice is wrong/, 'a forwarded message is kept')
  assert.equal(extractReplyText('> all quoted\n> nothing new').text, '> all quoted\n> nothing new', 'nothing left: the full text is kept')
})
