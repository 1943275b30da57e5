export { telegramChannel, telegramConfigSchema, type TelegramConfig } from './config.ts'
