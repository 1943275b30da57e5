import { z } from 'zod'
import { humanText } from '../../platform/http/schemas.ts'
import { type ChannelDefinition, e164, providerId, secret, unavailableAdapter } from '../channel.ts'

/**
 * A phone line through Twilio Voice: calls, voicemail and callback requests
 * (docs/channels/voice.md). `sandbox` is the fake provider for tests and demos.
 */
export const voiceConfigSchema = z.strictObject({
  provider: z.enum(['twilio', 'sandbox']),
  phoneNumber: e164,
  /** With the auth token, fetches recordings of accounts that protect media with HTTP auth. */
  accountSid: providerId.optional(),
  /** Checks webhook signatures; without it every webhook is refused. */
  authToken: secret().optional(),
  /** Instead of https://api.twilio.com (recordings are fetched only from under it). */
  apiBaseUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  /** What the caller hears first, before "to have us call you back, press 1". */
  greeting: humanText(500).optional(),
  /** A number dialled for 20 s after the menu (a desk phone, a call centre); unanswered calls go to voicemail. */
  forwardTo: e164.optional(),
  voicemailMaxSeconds: z.number().int().min(5).max(3600).optional(),
})
export type VoiceConfig = z.infer<typeof voiceConfigSchema>

export const voiceChannel: ChannelDefinition<'voice'> = {
  channel: 'voice',
  configSchema: voiceConfigSchema,
  secretKeys: ['authToken'],
  // Omnidesk places no calls: an agent's message in a voice case has nowhere to go.
  createAdapter: () => unavailableAdapter('voice'),
}
