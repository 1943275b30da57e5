export { instagramChannel, instagramConfigSchema, type InstagramConfig } from './config.ts'
