import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { ImapFlow } from 'imapflow'
import { build } from '../../../app.ts'
import { useTestApp, type WorkspaceClient } from '../../../../test/harness.ts'
import { send, smtpClient, uniqueAddress } from '../test-helpers.ts'
import { describeError } from './health.ts'
import { DOVECOT_PACKAGE, findDovecot, startDovecot } from './test-dovecot.ts'

// Against a real Dovecot started here. Without it the file skips, except in CI, which must run it.
const bin = findDovecot()
if (!bin && process.env.CI === 'true') throw new Error(`dovecot is not installed and CI=true: install the Debian package ${DOVECOT_PACKAGE} (.ci/run does)`)
const skip = bin ? false : `dovecot is not installed: apt-get install -y ${DOVECOT_PACKAGE} to run the IMAP tests`
if (skip) console.log(`# SKIP imap tests: ${skip}`)

const accounts = Array.from({ length: 20 }, (_, i) => ({ user: `user${i + 1}`, password: `pw-user${i + 1}-secret` }))
const dovecot = bin ? await startDovecot(bin, accounts) : null
after(() => dovecot?.stop())
// A poll interval no test can wait for: mail that shows up arrived through the initial sync or IDLE.
const t = await useTestApp({ IMAP_POLL_INTERVAL_SECONDS: '86400' })
if (dovecot) await t.omnidesk.start({ jobs: false })

let used = 0
/** A mailbox no other test uses. */
function mailboxUser(): { user: string; password: string } {
  const u = accounts[used++]
  assert.ok(u, 'add more accounts')
  return u
}

/** Runs `fn` with a plain IMAP client of `user` (the customer's side of the mailbox). */
async function asMailbox<T>(u: { user: string; password: string }, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({ host: '127.0.0.1', port: dovecot?.port ?? 0, secure: false, auth: { user: u.user, pass: u.password }, logger: false })
  await c.connect()
  try {
    return await fn(c)
  } catch (err) {
    const e = err as Error & { responseText?: string; executedCommand?: string }
    throw new Error(`IMAP ${e.message}: ${e.responseText ?? ''} (${e.executedCommand ?? ''})`)
  } finally {
    await c.logout()
  }
}

const mail = (o: { id: string; subject: string; from?: string; to?: string; date?: string; text?: string }) =>
  [
    `From: ${o.from ?? 'Ada Lovelace <ada@example.com>'}`,
    `To: ${o.to ?? 'support@example.com'}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${o.id}>`,
    `Date: ${o.date ?? new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.text ?? `About ${o.subject}.`,
    '',
  ].join('\r\n')

const append = (u: { user: string; password: string }, raw: string, folder = 'INBOX', date?: Date) =>
  asMailbox(u, async (c) => {
    await c.append(folder, raw, [], date)
  })

/** Waits until `fn` returns a truthy value (a hang guard, not a timing assertion). */
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function imapInbox(ws: WorkspaceClient, u: { user: string; password: string }, imap: Record<string, unknown> = {}) {
  const address = uniqueAddress()
  const res = await ws.post('/api/v1/inboxes', {
    name: `IMAP ${u.user}`,
    channel: 'email',
    config: { address, imap: { host: '127.0.0.1', port: dovecot?.port, secure: false, user: u.user, password: u.password, ...imap } },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return { inboxId: res.body.id as string, address }
}

const health = async (ws: WorkspaceClient, inboxId: string) => {
  const res = await ws.get(`/api/v1/inboxes/${inboxId}/imap`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body
}
const healthy = (ws: WorkspaceClient, inboxId: string) => until('mailbox status ok', async () => ((await health(ws, inboxId)).status === 'ok' ? health(ws, inboxId) : null))

async function conversations(ws: WorkspaceClient) {
  const res = await ws.get('/api/v1/conversations')
  assert.equal(res.status, 200)
  return res.body.items as Array<{ id: string; subject: string; inboxId: string }>
}
const inboundOf = (inboxId: string) => t.database.db.selectFrom('inbound_emails').selectAll().where('inbox_id', '=', inboxId).orderBy('received_at').execute()

test('mail appended to the mailbox while the poller IDLEs becomes a conversation; older mail is left alone', { skip }, async () => {
  const ws = await t.workspace()
  const u = mailboxUser()
  await append(u, mail({ id: 'before-watching@example.com', subject: 'Already there' }))
  const { inboxId } = await imapInbox(ws, u)
  const first = await healthy(ws, inboxId)
  assert.equal(first.checkpoints.length, 1)
  assert.equal(first.checkpoints[0].fetched, 0, 'without backfillSince, mail from before is not fetched')

  // The poll interval is a day: only IDLE can bring this in.
  await append(u, mail({ id: 'printer-1@example.com', subject: 'Printer on fire' }))
  const [conv] = await until('a conversation', async () => {
    const items = await conversations(ws)
    return items.length > 0 && items
  })
  assert.equal(conv?.subject, 'Printer on fire')
  assert.equal(conv?.inboxId, inboxId)
  const messages = (await ws.get(`/api/v1/conversations/${conv?.id}/messages`)).body.items
  assert.equal(messages.length, 1)
  assert.equal(messages[0].providerMessageId, '<printer-1@example.com>')
  const h = await health(ws, inboxId)
  assert.deepEqual([h.status, h.consecutiveFailures, h.lastError, h.checkpoints[0].folder, h.checkpoints[0].fetched, h.checkpoints[0].duplicates], ['ok', 0, null, 'INBOX', 1, 0])
  assert.ok(h.lastSuccessAt)
  // Fetched read-only: the customer's own client still shows the mail as unread.
  const flags = await asMailbox(u, async (c) => {
    await c.mailboxOpen('INBOX')
    const out: string[][] = []
    for await (const m of c.fetch('1:*', { flags: true })) out.push([...(m.flags ?? [])].filter((f) => f !== '\\Recent'))
    return out
  })
  assert.deepEqual(flags, [[], []])

  const list = await ws.get('/api/v1/email/mailboxes')
  assert.equal(list.status, 200)
  assert.deepEqual(list.body.items.map((m: { inboxId: string }) => m.inboxId), [inboxId])
  assert.equal(list.body.items[0].user, u.user)
  assert.equal(JSON.stringify(list.body).includes(u.password), false, 'the password is never shown')

  // Another workspace sees none of it.
  const other = await t.workspace()
  assert.equal((await other.get(`/api/v1/inboxes/${inboxId}/imap`)).status, 404)
  assert.deepEqual((await other.get('/api/v1/email/mailboxes')).body.items, [])
})

test('backfillSince fetches older mail since that date on the first sync, and only that', { skip }, async () => {
  const ws = await t.workspace()
  const u = mailboxUser()
  await append(u, mail({ id: 'ancient@example.com', subject: 'Ancient', date: 'Tue, 1 Jan 2019 10:00:00 +0000' }), 'INBOX', new Date('2019-01-01T10:00:00Z'))
  await append(u, mail({ id: 'spring@example.com', subject: 'Spring', date: 'Fri, 1 Mar 2024 10:00:00 +0000' }), 'INBOX', new Date('2024-03-01T10:00:00Z'))
  await append(u, mail({ id: 'recent@example.com', subject: 'Recent' }))
  const { inboxId } = await imapInbox(ws, u, { backfillSince: '2024-01-01' })
  const h = await healthy(ws, inboxId)
  assert.equal(h.backfillSince, '2024-01-01T00:00:00.000Z')
  assert.equal(h.checkpoints[0].fetched, 2)
  assert.deepEqual((await inboundOf(inboxId)).map((r) => r.message_id_header).sort(), ['<recent@example.com>', '<spring@example.com>'])
  await t.omnidesk.emailProcessor.drain()
  assert.deepEqual((await conversations(ws)).map((c) => c.subject).sort(), ['Recent', 'Spring'])
})

test('the same Message-ID delivered by SMTP and fetched over IMAP is one message', { skip }, async () => {
  const ws = await t.workspace()
  const u = mailboxUser()
  const { inboxId, address } = await imapInbox(ws, u)
  await healthy(ws, inboxId)
  const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')
  const client = smtpClient(port)
  const raw = mail({ id: 'both-ways@example.com', subject: 'Both ways', to: address })
  try {
    assert.equal((await send(client, { envelope: { from: 'ada@example.com', to: [address] }, raw })).code, 250)
  } finally {
    client.close()
    await t.omnidesk.smtp.close()
  }
  await append(u, raw)
  const h = await until('the IMAP copy fetched', async () => {
    const x = await health(ws, inboxId)
    return x.checkpoints[0]?.fetched === 1 && x
  })
  assert.equal(h.checkpoints[0].duplicates, 1, 'the store recognised the IMAP copy')
  assert.equal((await inboundOf(inboxId)).length, 1)
  await t.omnidesk.emailProcessor.drain()
  const convs = await conversations(ws)
  assert.equal(convs.length, 1)
  assert.equal((await ws.get(`/api/v1/conversations/${convs[0]?.id}/messages`)).body.items.length, 1)
})

test('a wrong password gives auth_failed, an alert event and no password anywhere; fixing it recovers', { skip }, async () => {
  const ws = await t.workspace()
  const u = mailboxUser()
  const { inboxId } = await imapInbox(ws, { user: u.user, password: 'not-the-password' })
  const failed = await until('auth_failed', async () => {
    const x = await health(ws, inboxId)
    return x.status === 'auth_failed' && x
  })
  assert.equal(failed.consecutiveFailures, 1)
  assert.match(failed.lastError, /refused the login.*AUTHENTICATIONFAILED/)
  assert.ok(failed.nextAttemptAt && Date.parse(failed.nextAttemptAt) - Date.parse(failed.lastErrorAt) >= 15 * 60_000 - 1000, 'retried slowly (IMAP_AUTH_RETRY_SECONDS)')
  assert.equal(JSON.stringify(failed).includes('not-the-password'), false)
  const events = () => t.database.db.selectFrom('events').select(['type', 'payload']).where('workspace_id', '=', ws.workspaceId).where('type', 'like', 'email.mailbox-%').orderBy('created_at').execute()
  const [alert] = await events()
  assert.equal(alert?.type, 'email.mailbox-auth-failed')
  assert.equal(alert?.payload.inboxId, inboxId)
  assert.equal(JSON.stringify(alert?.payload).includes('not-the-password'), false)

  // New settings restart the mailbox at once, without waiting for the slow retry.
  assert.equal((await ws.patch(`/api/v1/inboxes/${inboxId}`, { config: { imap: { password: u.password } } })).status, 200)
  await healthy(ws, inboxId)
  assert.deepEqual((await events()).map((e) => e.type), ['email.mailbox-auth-failed', 'email.mailbox-recovered'])
})

test('error descriptions never contain the password', () => {
  const err = Object.assign(new Error('Command failed'), { authenticationFailed: true, responseText: 'bad password hunter22', executedCommand: '2 LOGIN user hunter22' })
  const text = describeError(err, 'hunter22')
  assert.equal(text.includes('hunter22'), false)
  assert.match(text, /refused the login/)
})

test('after a restart nothing is fetched twice, and mail that arrived during the downtime is fetched', { skip }, async () => {
  const ws = await t.workspace()
  const u = mailboxUser()
  await asMailbox(u, (c) => c.mailboxCreate('Support').then(() => undefined))
  const { inboxId } = await imapInbox(ws, u, { folders: ['INBOX', 'Support'] })
  await healthy(ws, inboxId)
  await append(u, mail({ id: 'r1@example.com', subject: 'Before the restart' }))
  await until('the first mail', async () => (await inboundOf(inboxId)).length === 1)

  await t.omnidesk.imap.stop()
  await append(u, mail({ id: 'r2@example.com', subject: 'During downtime' }))
  await append(u, mail({ id: 'r3@example.com', subject: 'Also during downtime, in Support' }), 'Support')
  const again = await build({ config: t.config, database: t.database })
  try {
    await again.start({ jobs: false })
    await until('the downtime mail', async () => (await inboundOf(inboxId)).length === 3)
    const h = await healthy(ws, inboxId)
    const byFolder = Object.fromEntries(h.checkpoints.map((c: { folder: string; fetched: number; duplicates: number }) => [c.folder, [c.fetched, c.duplicates]]))
    assert.deepEqual(byFolder, { INBOX: [2, 0], Support: [1, 0] }, 'each message fetched exactly once')
  } finally {
    await again.close()
  }
  // And once more with the first app's poller: still nothing fetched twice.
  await t.omnidesk.imap.start()
  await append(u, mail({ id: 'r4@example.com', subject: 'After both restarts' }))
  await until('the fourth mail', async () => (await inboundOf(inboxId)).length === 4)
  const h = await health(ws, inboxId)
  assert.deepEqual(h.checkpoints.map((c: { fetched: number; duplicates: number }) => [c.fetched, c.duplicates]), [[3, 0], [1, 0]])
  await t.omnidesk.emailProcessor.drain()
  assert.equal((await conversations(ws)).length, 4)
})

test('a UIDVALIDITY change syncs the folder again from the backfill point; the copies already stored are absorbed', { skip }, async () => {
  const ws = await t.workspace()
  const u = mailboxUser()
  await asMailbox(u, (c) => c.mailboxCreate('Support').then(() => undefined))
  const { inboxId } = await imapInbox(ws, u, { folder: 'Support' })
  const before = await healthy(ws, inboxId)
  assert.deepEqual(before.folders, ['Support'])
  await append(u, mail({ id: 'v1@example.com', subject: 'First' }), 'Support')
  await until('the first mail', async () => (await health(ws, inboxId)).checkpoints[0]?.fetched === 1)

  // Deleting and re-creating a folder gives it a new UIDVALIDITY: every old UID is meaningless now.
  await t.omnidesk.imap.stop()
  await asMailbox(u, async (c) => {
    await c.mailboxDelete('Support')
    await c.mailboxCreate('Support')
  })
  await append(u, mail({ id: 'v1@example.com', subject: 'First' }), 'Support')
  await append(u, mail({ id: 'v2@example.com', subject: 'Second' }), 'Support')
  await t.omnidesk.imap.start()
  const h = await until('the resync', async () => {
    const x = await health(ws, inboxId)
    return x.checkpoints[0]?.resyncs === 1 && x.checkpoints[0]?.fetched === 3 && x
  })
  assert.notEqual(h.checkpoints[0].uidValidity, before.checkpoints[0].uidValidity)
  assert.equal(h.checkpoints[0].duplicates, 1, 'the first mail again, absorbed by the dedupe')
  assert.deepEqual((await inboundOf(inboxId)).map((r) => r.message_id_header), ['<v1@example.com>', '<v2@example.com>'])
})
