import { z } from 'zod'
import { type ChannelDefinition, providerId, secret } from '../channel.ts'
import { apiBaseUrl, verifyToken } from '../meta/config-fields.ts'
import { createMessagingAdapter } from '../meta/messaging-adapter.ts'

/** A Facebook page's Messenger conversations. */
export const messengerConfigSchema = z.strictObject({
  pageId: providerId,
  pageAccessToken: secret(),
  /** Verifies the signature of inbound webhooks (X-Hub-Signature-256). */
  appSecret: secret(),
  /** Answers Meta's webhook verification handshake. */
  verifyToken: verifyToken.optional(),
  apiBaseUrl: apiBaseUrl.optional(),
})
export type MessengerConfig = z.infer<typeof messengerConfigSchema>

export const messengerChannel: ChannelDefinition<'messenger'> = {
  channel: 'messenger',
  configSchema: messengerConfigSchema,
  secretKeys: ['pageAccessToken', 'appSecret', 'verifyToken'],
  reachableBy: ['messenger'],
  createAdapter: (inbox, secrets, ctx) => createMessagingAdapter('messenger', inbox, secrets, ctx),
}
