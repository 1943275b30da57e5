export { voiceChannel, voiceConfigSchema, type VoiceConfig } from './config.ts'
