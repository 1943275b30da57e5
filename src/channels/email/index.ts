import type { ChannelDefinition } from '../channel.ts'
import { createEmailAdapter } from './adapter.ts'
import { emailConfigSchema } from './config.ts'

/**
 * The email channel's public entry for the registry: its settings and its
 * outbound adapter. The inbound half (SMTP server, IMAP poller, processor,
 * the inbound-mail API) is built by `createEmailModule` in `email.module.ts`,
 * which app.ts wires: it depends on the conversations module, which depends on
 * the inboxes registry that imports this file, so keeping it out of this entry
 * keeps module loading free of cycles.
 */
export const emailChannel: ChannelDefinition<'email'> = {
  channel: 'email',
  configSchema: emailConfigSchema,
  secretKeys: ['imap.password', 'smtp.password'],
  createAdapter: createEmailAdapter,
  reachableBy: ['email'],
}

export { emailConfigSchema, emailThreadingSchema, type EmailConfig, type EmailThreading } from './config.ts'

/**
 * The SMTP sender, for mail that is not a reply on a conversation (the
 * notifications module's emails to agents): the same relay choice and the
 * same reading of the relay's answers as replies.
 */
export { relayOptions, sendMail, type SmtpRelay } from './sender.ts'
export { generateMessageId, OWN_LOOP_HEADER } from './message-id.ts'
