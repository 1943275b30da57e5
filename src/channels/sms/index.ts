export { smsChannel, smsConfigSchema, type SmsConfig } from './config.ts'
