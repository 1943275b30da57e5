import assert from 'node:assert/strict'
import nodemailer, { type SendMailOptions } from 'nodemailer'
import type { TestApp, WorkspaceClient } from '../../../test/harness.ts'

/** Shared by this module's tests (not a test file itself). */

/**
 * Creates an email inbox for `address` through the API. TEMPORARY: while the
 * inboxes module has no routes yet, falls back to inserting the row directly.
 */
export async function emailInbox(t: TestApp, ws: WorkspaceClient, address: string, name = `Support ${address}`): Promise<string> {
  const res = await ws.post('/api/v1/inboxes', { name, channel: 'email', config: { address } })
  if (res.status === 404 && /No route/.test(JSON.stringify(res.body))) {
    const row = await t.database.db
      .insertInto('inboxes')
      .values({ workspace_id: ws.workspaceId, name, channel: 'email', config: JSON.stringify({ address }) })
      .returning('id')
      .executeTakeFirstOrThrow()
    return row.id
  }
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.id as string
}

/** Deactivates an inbox (API, or directly while the inboxes module has no routes). */
export async function deactivateInbox(t: TestApp, ws: WorkspaceClient, inboxId: string): Promise<void> {
  const res = await ws.patch(`/api/v1/inboxes/${inboxId}`, { active: false })
  if (res.status === 404 && /No route/.test(JSON.stringify(res.body))) {
    await t.database.db.updateTable('inboxes').set({ active: false }).where('id', '=', inboxId).execute()
    return
  }
  assert.equal(res.status, 200, JSON.stringify(res.body))
}

/** A real SMTP client pointed at the test server. */
export function smtpClient(port: number) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10_000 })
}

/** A unique address per test, so tests in one database never share an inbox address. */
export const uniqueAddress = (local = 'support') => `${local}@${Math.random().toString(36).slice(2, 10)}.acme.test`

/** Sends and returns the SMTP outcome: { code: 250 } or the refusal's response code. */
export async function send(transport: ReturnType<typeof smtpClient>, mail: SendMailOptions): Promise<{ code: number; response: string }> {
  try {
    const info = await transport.sendMail(mail)
    return { code: Number(info.response.slice(0, 3)), response: info.response }
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string }
    return { code: e.responseCode ?? 0, response: e.response ?? e.message }
  }
}

export async function inboundRows(t: TestApp, workspaceId: string) {
  return t.database.db.selectFrom('inbound_emails').selectAll().where('workspace_id', '=', workspaceId).orderBy('received_at').execute()
}

/**
 * A delivery-status notification (RFC 3464) as an MTA sends it: `to` is the
 * inbox that sent the failed mail, `recipient` the address that failed;
 * `originalMessageId` adds the returned headers of the bounced mail.
 */
export function dsnBounce(opts: { to: string; recipient: string; messageId: string; status?: string; diagnostic?: string; originalMessageId?: string }): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
    `To: ${opts.to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${opts.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.com',
    '',
    `Final-Recipient: rfc822; ${opts.recipient}`,
    'Action: failed',
    `Status: ${opts.status ?? '5.1.1'}`,
    ...(opts.diagnostic ? [`Diagnostic-Code: ${opts.diagnostic}`] : []),
    ...(opts.originalMessageId
      ? ['--b1', 'Content-Type: text/rfc822-headers', '', `From: ${opts.to}`, `To: ${opts.recipient}`, `Message-ID: ${opts.originalMessageId}`, 'Subject: Re: your question']
      : []),
    '--b1--',
    '',
  ].join('\r\n')
}
