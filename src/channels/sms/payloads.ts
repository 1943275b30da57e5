import { z } from 'zod'
import { firstValues, type TwilioParams } from './twilio-signature.ts'

/**
 * What Twilio posts to the SMS webhook, parsed with zod after the signature
 * has been checked. Twilio adds parameters over time: unknown ones are kept
 * aside, never refused. Two kinds arrive at the same URL: an inbound message
 * (SmsStatus `received`) and a status callback for a message we sent
 * (`MessageStatus` queued/sent/delivered/undelivered/failed…).
 */

const sid = z.string().trim().min(2).max(64)
const phone = z.string().trim().min(1).max(64)

/** The largest number of media Twilio attaches to one MMS. */
export const MAX_MMS_MEDIA = 10

export const inboundSmsSchema = z.object({
  MessageSid: sid,
  AccountSid: sid,
  From: phone,
  To: phone,
  Body: z.string().max(20_000).default(''),
  NumMedia: z.coerce.number().int().min(0).max(MAX_MMS_MEDIA).default(0),
  NumSegments: z.coerce.number().int().min(0).optional(),
  FromCity: z.string().optional(),
  FromCountry: z.string().optional(),
})
export type InboundSms = z.infer<typeof inboundSmsSchema> & { media: Array<{ url: string; contentType: string }> }

/** Twilio's message statuses (for outbound messages); `read` comes from WhatsApp senders. */
export const twilioStatuses = ['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'canceled', 'partially_delivered'] as const

export const statusCallbackSchema = z.object({
  MessageSid: sid,
  AccountSid: sid.optional(),
  MessageStatus: z.enum(twilioStatuses),
  ErrorCode: z.string().trim().max(16).optional(),
  ErrorMessage: z.string().max(1000).optional(),
  To: phone.optional(),
  From: phone.optional(),
})
export type StatusCallback = z.infer<typeof statusCallbackSchema>

export type SmsWebhook = { kind: 'message'; message: InboundSms } | { kind: 'status'; status: StatusCallback }

/** Tells the two kinds apart and validates; throws a ZodError on a payload of the wrong shape. */
export function parseSmsWebhook(params: TwilioParams): SmsWebhook {
  const one = firstValues(params)
  const status = one.MessageStatus ?? one.SmsStatus
  if (status && status !== 'received' && status !== 'receiving') return { kind: 'status', status: statusCallbackSchema.parse({ ...one, MessageStatus: status }) }
  const message = inboundSmsSchema.parse(one)
  const media: InboundSms['media'] = []
  for (let i = 0; i < message.NumMedia; i++) {
    const url = one[`MediaUrl${i}`]
    if (url) media.push({ url, contentType: one[`MediaContentType${i}`] ?? 'application/octet-stream' })
  }
  return { kind: 'message', message: { ...message, media } }
}

/**
 * What a Twilio status means for the message in Omnidesk: queued/sending are
 * still under way (no change), sent and delivered as such, undelivered and
 * failed are a failure with Twilio's error code, read is delivered (and read).
 */
export function deliveryStatusOf(status: StatusCallback['MessageStatus']): 'sent' | 'delivered' | 'failed' | null {
  switch (status) {
    case 'sent':
      return 'sent'
    case 'delivered':
    case 'read':
    case 'partially_delivered':
      return 'delivered'
    case 'undelivered':
    case 'failed':
    case 'canceled':
      return 'failed'
    default:
      return null
  }
}

/** Twilio's explanations of the error codes a status callback most often carries (the rest link to Twilio's docs). */
const errorNames: Record<string, string> = {
  '30001': 'Queue overflow',
  '30002': 'Account suspended',
  '30003': 'Unreachable destination handset',
  '30004': 'Message blocked',
  '30005': 'Unknown destination handset',
  '30006': 'Landline or unreachable carrier',
  '30007': 'Carrier violation (filtered)',
  '30008': 'Unknown error',
  '21610': 'Attempt to send to unsubscribed recipient',
}

export function describeTwilioError(code: string | undefined, message?: string): string {
  if (!code) return message ?? 'no error code given'
  const name = message ?? errorNames[code] ?? 'see https://www.twilio.com/docs/api/errors/' + code
  return `Twilio error ${code}: ${name}`
}
