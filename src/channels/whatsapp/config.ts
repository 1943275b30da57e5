import { z } from 'zod'
import { type ChannelDefinition, providerId, secret, unavailableAdapter } from '../channel.ts'

/** WhatsApp Business (Cloud API); `sandbox` is the fake provider for tests and demos. */
export const whatsappConfigSchema = z.strictObject({
  provider: z.enum(['meta', 'sandbox']),
  phoneNumberId: providerId,
  businessAccountId: providerId.optional(),
  accessToken: secret(),
  /** Verifies the signature of inbound webhooks. */
  appSecret: secret(),
})
export type WhatsappConfig = z.infer<typeof whatsappConfigSchema>

export const whatsappChannel: ChannelDefinition<'whatsapp'> = {
  channel: 'whatsapp',
  configSchema: whatsappConfigSchema,
  secretKeys: ['accessToken', 'appSecret'],
  createAdapter: () => unavailableAdapter('whatsapp'),
}
