import { z } from 'zod'
import { type ChannelAdapter, type ChannelDefinition, e164, providerId, secret } from '../channel.ts'
import { mediaLink } from '../media-links.ts'
import { createTwilioSmsAdapter } from './adapter.ts'

/**
 * An SMS line through Twilio; `sandbox` is the fake provider for tests and
 * demos (no account: replies are kept `not_delivered` unless `apiBaseUrl`
 * points at a sandbox server). docs/channels/sms.md describes the setup.
 */
export const smsConfigSchema = z
  .strictObject({
    provider: z.enum(['twilio', 'sandbox']),
    phoneNumber: e164,
    accountSid: providerId.optional(),
    /** Authenticates API calls and checks webhook signatures. */
    authToken: secret().optional(),
    /** Instead of https://api.twilio.com: a proxy, a regional edge, or the sandbox Twilio. */
    apiBaseUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.provider !== 'twilio') return
    if (!c.accountSid) ctx.addIssue({ code: 'custom', path: ['accountSid'], message: 'is required for the twilio provider' })
    if (!c.authToken) ctx.addIssue({ code: 'custom', path: ['authToken'], message: 'is required for the twilio provider' })
  })
export type SmsConfig = z.infer<typeof smsConfigSchema>

export const smsChannel: ChannelDefinition<'sms'> = {
  channel: 'sms',
  configSchema: smsConfigSchema,
  secretKeys: ['authToken'],
  reachableBy: ['phone'],
  createAdapter: (inbox, secrets, ctx): ChannelAdapter => {
    const config = inbox.config as Omit<SmsConfig, 'authToken'>
    const publicUrl = ctx.config.publicUrl?.replace(/\/$/, '')
    return createTwilioSmsAdapter({
      ...config,
      authToken: typeof secrets.authToken === 'string' ? secrets.authToken : undefined,
      // Twilio reports each message's delivery here; without a public URL it has nowhere to report to.
      statusCallbackUrl: publicUrl ? (messageId) => `${publicUrl}/webhooks/twilio/${inbox.id}?messageId=${messageId}` : undefined,
      // Twilio fetches an MMS's files from these signed, expiring links (src/channels/media-links.ts).
      mediaUrl: publicUrl ? (file) => mediaLink(ctx.box, publicUrl, file, ctx.config.mediaLinkTtlSeconds) : undefined,
    })
  },
}
