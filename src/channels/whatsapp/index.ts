export { whatsappChannel, whatsappConfigSchema, type WhatsappConfig } from './config.ts'
