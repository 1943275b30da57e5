import { z } from 'zod'
import { type ChannelAdapter, type ChannelDefinition, type OutboundMessage, secret } from './channel.ts'

/** The generic API channel: conversations created and fed through the REST API. */
export const apiConfigSchema = z.strictObject({
  /** Where outbound messages of this inbox are announced (delivered by the webhooks feature). */
  webhookUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  /** Signs those webhook calls. */
  webhookSecret: secret('Signs outbound webhook calls; stored encrypted, never returned').optional(),
})
export type ApiConfig = z.infer<typeof apiConfigSchema>

export const apiChannel: ChannelDefinition<'api'> = {
  channel: 'api',
  configSchema: apiConfigSchema,
  secretKeys: ['webhookSecret'],
  // The message is already stored and visible through the API and events: "sending" it is recording that.
  createAdapter: (): ChannelAdapter =>
    Object.freeze({
      channel: 'api',
      async send(msg: OutboundMessage) {
        return { ok: true as const, externalId: `api:${msg.messageId}` }
      },
    }),
}
