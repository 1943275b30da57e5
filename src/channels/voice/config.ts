import { z } from 'zod'
import { type ChannelDefinition, e164, secret, unavailableAdapter } from '../channel.ts'

/** A phone line: calls, voicemail and callback requests. */
export const voiceConfigSchema = z.strictObject({
  provider: z.enum(['twilio', 'sandbox']),
  phoneNumber: e164,
  authToken: secret().optional(),
})
export type VoiceConfig = z.infer<typeof voiceConfigSchema>

export const voiceChannel: ChannelDefinition<'voice'> = {
  channel: 'voice',
  configSchema: voiceConfigSchema,
  secretKeys: ['authToken'],
  createAdapter: () => unavailableAdapter('voice'),
}
