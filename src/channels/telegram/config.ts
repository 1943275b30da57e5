import { z } from 'zod'
import { type ChannelDefinition, secret } from '../channel.ts'
import { apiBaseUrl } from '../meta/config-fields.ts'
import { createTelegramAdapter } from './adapter.ts'

/**
 * A Telegram bot. Saving the inbox registers its webhook with Telegram
 * (setWebhook, see set-webhook.listener.ts): PUBLIC_URL must be set.
 */
export const telegramConfigSchema = z.strictObject({
  botUsername: z.string().trim().regex(/^@?[A-Za-z][A-Za-z0-9_]{4,31}$/, 'must be a Telegram bot username').optional(),
  botToken: secret().pipe(z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must be a bot token as given by @BotFather')),
  apiBaseUrl: apiBaseUrl.optional(),
})
export type TelegramConfig = z.infer<typeof telegramConfigSchema>

export const telegramChannel: ChannelDefinition<'telegram'> = {
  channel: 'telegram',
  configSchema: telegramConfigSchema,
  secretKeys: ['botToken'],
  reachableBy: ['telegram'],
  createAdapter: createTelegramAdapter,
}
