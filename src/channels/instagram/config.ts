import { z } from 'zod'
import { type ChannelDefinition, providerId, secret, unavailableAdapter } from '../channel.ts'

/** Instagram direct messages of a professional account, through its linked Facebook page. */
export const instagramConfigSchema = z.strictObject({
  pageId: providerId,
  instagramAccountId: providerId.optional(),
  pageAccessToken: secret(),
  /** Verifies the signature of inbound webhooks. */
  appSecret: secret(),
})
export type InstagramConfig = z.infer<typeof instagramConfigSchema>

export const instagramChannel: ChannelDefinition<'instagram'> = {
  channel: 'instagram',
  configSchema: instagramConfigSchema,
  secretKeys: ['pageAccessToken', 'appSecret'],
  createAdapter: () => unavailableAdapter('instagram'),
}
