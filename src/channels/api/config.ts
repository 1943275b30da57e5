import { z } from 'zod'
import { secret } from '../channel.ts'

/** The generic API channel: conversations created and fed through the REST API. */
export const apiConfigSchema = z.strictObject({
  /** Where outbound messages of this inbox are announced (delivered by the webhooks feature). */
  webhookUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  /** Signs those webhook calls. */
  webhookSecret: secret('Signs outbound webhook calls; stored encrypted, never returned').optional(),
})
export type ApiConfig = z.infer<typeof apiConfigSchema>
