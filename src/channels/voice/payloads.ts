import { z } from 'zod'
import { firstValues, type TwilioParams } from '../sms/twilio-signature.ts'

/**
 * What Twilio Voice posts to the voice webhook, after the signature check.
 * One URL serves every step; the TwiML we answer with names the step in the
 * query (`?step=menu|dialed|recording|transcription`), and the call's own
 * webhooks (the incoming call, status callbacks) carry none.
 */

const sid = z.string().trim().min(2).max(64)
const phone = z.string().trim().min(1).max(64)
const seconds = z.coerce.number().int().min(0).max(86_400)

/** Twilio's call statuses. */
export const callStatuses = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'] as const
export type CallStatus = (typeof callStatuses)[number]
/** The statuses that end a call without anyone answering. */
export const unansweredEnds: readonly CallStatus[] = ['busy', 'no-answer', 'failed', 'canceled']

export const callEventSchema = z.object({
  CallSid: sid,
  AccountSid: sid,
  From: phone,
  To: phone,
  CallStatus: z.enum(callStatuses),
  Direction: z.string().max(32).optional(),
  CallDuration: seconds.optional(),
  CallerName: z.string().max(200).optional(),
})
export type CallEvent = z.infer<typeof callEventSchema>

export const voiceSteps = ['menu', 'dialed', 'recording', 'transcription'] as const
export type VoiceStep = (typeof voiceSteps)[number]

const menuSchema = callEventSchema.partial({ CallStatus: true }).extend({ Digits: z.string().max(32).default('') })
const dialedSchema = callEventSchema.partial({ CallStatus: true }).extend({ DialCallStatus: z.enum(callStatuses), DialCallDuration: seconds.optional() })
const recordingSchema = callEventSchema.partial({ CallStatus: true }).extend({ RecordingSid: sid, RecordingUrl: z.url(), RecordingDuration: seconds.default(0) })
const transcriptionSchema = callEventSchema.partial({ CallStatus: true }).extend({
  TranscriptionSid: sid,
  TranscriptionStatus: z.enum(['completed', 'failed']),
  TranscriptionText: z.string().max(20_000).default(''),
  RecordingSid: sid,
})

export type VoiceWebhook =
  | { step: 'call'; event: CallEvent }
  | { step: 'menu'; event: z.infer<typeof menuSchema> }
  | { step: 'dialed'; event: z.infer<typeof dialedSchema> }
  | { step: 'recording'; event: z.infer<typeof recordingSchema> }
  | { step: 'transcription'; event: z.infer<typeof transcriptionSchema> }

/** Validates one voice webhook; throws a ZodError on a payload of the wrong shape or an unknown step. */
export function parseVoiceWebhook(params: TwilioParams, step: string | undefined): VoiceWebhook {
  const one = firstValues(params)
  switch (step) {
    case undefined:
    case '':
      return { step: 'call', event: callEventSchema.parse(one) }
    case 'menu':
      return { step, event: menuSchema.parse(one) }
    case 'dialed':
      return { step, event: dialedSchema.parse(one) }
    case 'recording':
      return { step, event: recordingSchema.parse(one) }
    case 'transcription':
      return { step, event: transcriptionSchema.parse(one) }
    default:
      throw new z.ZodError([{ code: 'custom', path: ['step'], message: `is not a voice webhook step (${voiceSteps.join(', ')})`, input: step }])
  }
}

export function describeDuration(s: number): string {
  if (s < 60) return `${s} s`
  return `${Math.floor(s / 60)} min ${s % 60} s`
}
