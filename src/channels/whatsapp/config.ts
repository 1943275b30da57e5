import { z } from 'zod'
import { type ChannelDefinition, providerId, secret } from '../channel.ts'
import { apiBaseUrl, verifyToken } from '../meta/config-fields.ts'
import { createWhatsappAdapter } from './adapter.ts'

/**
 * WhatsApp Business (Cloud API). `provider: sandbox` is the same Cloud API
 * protocol spoken to a local sandbox (set `apiBaseUrl`), for tests and demos.
 */
export const whatsappConfigSchema = z
  .strictObject({
    provider: z.enum(['meta', 'sandbox']),
    phoneNumberId: providerId,
    businessAccountId: providerId.optional(),
    accessToken: secret(),
    /** Verifies the signature of inbound webhooks (X-Hub-Signature-256). */
    appSecret: secret(),
    /** Answers Meta's webhook verification handshake. */
    verifyToken: verifyToken.optional(),
    apiBaseUrl: apiBaseUrl.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.provider === 'sandbox' && !c.apiBaseUrl) ctx.addIssue({ code: 'custom', path: ['apiBaseUrl'], message: 'is required for the sandbox provider' })
  })
export type WhatsappConfig = z.infer<typeof whatsappConfigSchema>

export const whatsappChannel: ChannelDefinition<'whatsapp'> = {
  channel: 'whatsapp',
  configSchema: whatsappConfigSchema,
  secretKeys: ['accessToken', 'appSecret', 'verifyToken'],
  createAdapter: createWhatsappAdapter,
}
