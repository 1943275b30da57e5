export { chatChannel, chatConfigSchema, type ChatConfig } from './config.ts'
