import { z } from 'zod'
import { type ChannelDefinition, providerId, secret, unavailableAdapter } from '../channel.ts'

/** A Facebook page's Messenger conversations. */
export const messengerConfigSchema = z.strictObject({
  pageId: providerId,
  pageAccessToken: secret(),
  /** Verifies the signature of inbound webhooks. */
  appSecret: secret(),
})
export type MessengerConfig = z.infer<typeof messengerConfigSchema>

export const messengerChannel: ChannelDefinition<'messenger'> = {
  channel: 'messenger',
  configSchema: messengerConfigSchema,
  secretKeys: ['pageAccessToken', 'appSecret'],
  createAdapter: () => unavailableAdapter('messenger'),
}
