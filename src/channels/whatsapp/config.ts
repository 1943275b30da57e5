import { z } from 'zod'
import { type ChannelDefinition, providerId, secret } from '../channel.ts'
import { apiBaseUrl, verifyToken } from '../meta/config-fields.ts'
import { createWhatsappAdapter } from './adapter.ts'
import { whatsappReplyGate } from './reply-gate.ts'

/**
 * WhatsApp Business (Cloud API). `provider: sandbox` marks an inbox that
 * speaks the same Cloud API protocol to a local sandbox (point `apiBaseUrl`
 * at it), for tests and demos.
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
export type WhatsappConfig = z.infer<typeof whatsappConfigSchema>

export const whatsappChannel: ChannelDefinition<'whatsapp'> = {
  channel: 'whatsapp',
  configSchema: whatsappConfigSchema,
  secretKeys: ['accessToken', 'appSecret', 'verifyToken'],
  reachableBy: ['whatsapp', 'phone'],
  createAdapter: createWhatsappAdapter,
  replyGate: whatsappReplyGate,
}
