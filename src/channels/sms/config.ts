import { z } from 'zod'
import { type ChannelDefinition, e164, providerId, secret, unavailableAdapter } from '../channel.ts'

/** SMS through a provider; `sandbox` is the fake provider for tests and demos. */
export const smsConfigSchema = z
  .strictObject({
    provider: z.enum(['twilio', 'sandbox']),
    phoneNumber: e164,
    accountSid: providerId.optional(),
    authToken: secret().optional(),
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
  createAdapter: () => unavailableAdapter('sms'),
}
