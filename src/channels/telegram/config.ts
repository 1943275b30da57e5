import { z } from 'zod'
import { type ChannelDefinition, secret, unavailableAdapter } from '../channel.ts'

/** A Telegram bot. */
export const telegramConfigSchema = z.strictObject({
  botUsername: z.string().trim().regex(/^@?[A-Za-z][A-Za-z0-9_]{4,31}$/, 'must be a Telegram bot username').optional(),
  botToken: secret().pipe(z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must be a bot token as given by @BotFather')),
})
export type TelegramConfig = z.infer<typeof telegramConfigSchema>

export const telegramChannel: ChannelDefinition<'telegram'> = {
  channel: 'telegram',
  configSchema: telegramConfigSchema,
  secretKeys: ['botToken'],
  createAdapter: () => unavailableAdapter('telegram'),
}
