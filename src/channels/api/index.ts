import type { ChannelDefinition } from '../channel.ts'
import { createApiAdapter } from './adapter.ts'
import { apiConfigSchema } from './config.ts'

export const apiChannel: ChannelDefinition<'api'> = {
  channel: 'api',
  configSchema: apiConfigSchema,
  secretKeys: ['webhookSecret'],
  createAdapter: createApiAdapter,
  reachableBy: 'anyone',
}

export { apiConfigSchema, type ApiConfig } from './config.ts'
