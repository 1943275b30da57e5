import type { SendMailOptions } from 'nodemailer'
import type { ChannelAdapter, ChannelContext, ChannelInbox, OutboundMessage, SendResult } from '../channel.ts'
import type { EmailConfig } from './config.ts'
import { tokenFooter, tokenReplyTo } from './conversation-token.ts'
import { generateMessageId, OWN_LOOP_HEADER } from './message-id.ts'
import { relayOptions, sendMail, type SmtpRelay } from './sender.ts'

/** At most this many ids in References: enough for any client to thread, short enough for any relay. */
const MAX_REFERENCES = 20

export const NO_OUTBOUND_SERVER = 'not delivered: no outbound server configured'

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')

/** The parent's References (stored by the inbound path under metadata.email) followed by the parent itself. */
export function referencesFor(parent: OutboundMessage['parent'], inReplyTo: string | null | undefined): string[] {
  const email = parent?.metadata.email as { references?: unknown } | undefined
  const earlier = isStringArray(email?.references) ? email.references : []
  const chain = [...earlier, ...(inReplyTo ? [inReplyTo] : [])]
  return [...new Set(chain)].slice(-MAX_REFERENCES)
}

/** Who the reply goes to: the address the customer wrote from, if it is still theirs, else their first email identity. */
function recipientOf(msg: OutboundMessage): string | null {
  const emails = msg.to.identities.filter((i) => i.kind === 'email' && !i.undeliverable).map((i) => i.value)
  const from = (msg.parent?.metadata.email as { from?: { address?: unknown } } | undefined)?.from?.address
  if (typeof from === 'string' && emails.some((e) => e.toLowerCase() === from.toLowerCase())) return from
  return emails[0] ?? null
}

/** "x@y hard-bounced (user_unknown: 550 5.1.1 …)" or "x@y paused after repeated soft bounces (mailbox_full) until …". */
function describeBounce(i: OutboundMessage['to']['identities'][number]): string {
  const d = i.deliverability
  if (!d) return `${i.value} bounced earlier`
  const why = [d.reason, d.diagnostic].filter(Boolean).join(': ')
  return d.status === 'undeliverable' ? `${i.value} hard-bounced (${why || 'unknown'})` : `${i.value} paused after repeated soft bounces (${why || 'unknown'}) until ${d.expiresAt ?? 'later'}`
}

function subjectOf(msg: OutboundMessage): string | undefined {
  const subject = msg.subject?.trim()
  if (!subject) return undefined
  return msg.inReplyTo && !msg.subjectExact && !/^re:/i.test(subject) ? `Re: ${subject}` : subject
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)

/** The mail for one outbound message, without attachments' bytes. Pure; exported for tests. */
export function composeMail(ctx: Pick<ChannelContext, 'box'>, config: EmailConfig, msg: OutboundMessage, to: string): SendMailOptions {
  const domain = config.address.slice(config.address.lastIndexOf('@') + 1)
  const messageId = generateMessageId(domain, msg.messageId)
  const footer = tokenFooter(ctx.box, msg.conversationId)
  const references = referencesFor(msg.parent, msg.inReplyTo)
  return {
    messageId,
    from: config.displayName ? { name: config.displayName, address: config.address } : config.address,
    to,
    replyTo: tokenReplyTo(ctx.box, config.address, msg.conversationId),
    subject: subjectOf(msg),
    ...(msg.inReplyTo && { inReplyTo: msg.inReplyTo }),
    ...(references.length > 0 && { references }),
    // Auto-Submitted (RFC 3834) keeps other robots from answering our automatic mail.
    headers: { [OWN_LOOP_HEADER]: domain, ...(msg.automatic && { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' }) },
    // The footer token lets a reply find its conversation even when the client drops In-Reply-To.
    text: `${msg.text.trimEnd()}\n\n${footer}\n`,
    ...(msg.html && { html: `${msg.html}\n<p style="color:#888;font-size:11px">${escapeHtml(footer)}</p>` }),
  }
}

/**
 * The email channel's outbound adapter: composes the reply (our Message-ID,
 * threading headers, Reply-To token, footer, attachments from the blob store)
 * and sends it through the inbox's relay or the instance's.
 */
export function createEmailAdapter(inbox: ChannelInbox, secrets: Record<string, unknown>, ctx: ChannelContext): ChannelAdapter {
  const config = inbox.config as EmailConfig
  const smtpSecrets = (secrets.smtp ?? {}) as { password?: string }
  const inboxRelay: SmtpRelay | undefined = config.smtp ? { ...config.smtp, password: smtpSecrets.password } : undefined
  const transport = relayOptions(inboxRelay, ctx.config.outboundSmtpUrl)
  return Object.freeze({
    channel: 'email',
    async send(msg: OutboundMessage): Promise<SendResult> {
      if (!transport) return { ok: false, retryable: false, code: 'NO_OUTBOUND_SERVER', message: NO_OUTBOUND_SERVER, notDelivered: true }
      const to = recipientOf(msg)
      if (!to) {
        const bounced = msg.to.identities.filter((i) => i.kind === 'email' && i.undeliverable)
        if (bounced.length > 0)
          return {
            ok: false,
            retryable: false,
            code: 'ADDRESS_UNDELIVERABLE',
            message: `not sent: ${bounced.map(describeBounce).join('; ')}; an agent can clear the address on the contact once it works again, or add another email address`,
            details: { addresses: bounced.map((i) => ({ email: i.value, ...i.deliverability })) },
          }
        return { ok: false, retryable: false, code: 'NO_RECIPIENT', message: 'the contact has no email address' }
      }
      let attachments: SendMailOptions['attachments']
      try {
        attachments = await Promise.all(
          (msg.attachments ?? []).map(async (a) => ({ filename: a.filename, contentType: a.contentType, content: await ctx.blobs.get(a.blobKey) })),
        )
      } catch (err) {
        return { ok: false, retryable: true, code: 'ATTACHMENT_UNREADABLE', message: `an attachment could not be read: ${err instanceof Error ? err.message : String(err)}` }
      }
      return sendMail(transport, { ...composeMail(ctx, config, msg, to), attachments })
    },
  })
}
