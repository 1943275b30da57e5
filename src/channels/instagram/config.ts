import { z } from 'zod'
import { type ChannelDefinition, providerId, secret } from '../channel.ts'
import { apiBaseUrl, verifyToken } from '../meta/config-fields.ts'
import { createMessagingAdapter } from '../meta/messaging-adapter.ts'

/** Instagram direct messages of a professional account, through its linked Facebook page. */
export const instagramConfigSchema = z.strictObject({
  pageId: providerId,
  /** The Instagram professional account id: webhooks name it as the entry id, and replies are sent from it. */
  instagramAccountId: providerId.optional(),
  pageAccessToken: secret(),
  /** Verifies the signature of inbound webhooks (X-Hub-Signature-256). */
  appSecret: secret(),
  /** Answers Meta's webhook verification handshake. */
  verifyToken: verifyToken.optional(),
  apiBaseUrl: apiBaseUrl.optional(),
})
export type InstagramConfig = z.infer<typeof instagramConfigSchema>

export const instagramChannel: ChannelDefinition<'instagram'> = {
  channel: 'instagram',
  configSchema: instagramConfigSchema,
  secretKeys: ['pageAccessToken', 'appSecret', 'verifyToken'],
  reachableBy: ['instagram'],
  createAdapter: (inbox, secrets, ctx) => createMessagingAdapter('instagram', inbox, secrets, ctx),
}
