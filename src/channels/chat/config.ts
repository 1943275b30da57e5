import { z } from 'zod'
import { humanText } from '../../platform/http/schemas.ts'
import { type ChannelDefinition, unavailableAdapter } from '../channel.ts'

/** The website chat widget. */
export const chatConfigSchema = z.strictObject({
  websiteUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  welcomeMessage: humanText(1000).optional(),
  /** Ask for name and email before the first message. */
  preChatForm: z.boolean().optional(),
})
export type ChatConfig = z.infer<typeof chatConfigSchema>

export const chatChannel: ChannelDefinition<'chat'> = {
  channel: 'chat',
  configSchema: chatConfigSchema,
  secretKeys: [],
  createAdapter: () => unavailableAdapter('chat'),
}
