export { messengerChannel, messengerConfigSchema, type MessengerConfig } from './config.ts'
