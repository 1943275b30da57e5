/**
 * The TwiML the voice webhook answers with: a small IVR. The caller hears the
 * greeting; pressing 1 requests a callback; otherwise the call is forwarded
 * to `forwardTo` when the inbox has one, and whoever is not answered there
 * leaves a voicemail (recorded and transcribed by Twilio).
 */

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
const doc = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`

export interface IvrSettings {
  /** The webhook URL (public), to which each step's `?step=` is added. */
  url: string
  greeting?: string | undefined
  forwardTo?: string | undefined
  voicemailMaxSeconds?: number | undefined
}

const step = (url: string, name: string) => xmlEscape(`${url}${url.includes('?') ? '&' : '?'}step=${name}`)

function voicemail(s: IvrSettings): string {
  return (
    '<Say>Please leave a message after the tone. Hang up when you are done.</Say>' +
    `<Record maxLength="${s.voicemailMaxSeconds ?? 120}" playBeep="true" action="${step(s.url, 'recording')}" method="POST" transcribe="true" transcribeCallback="${step(s.url, 'transcription')}"/>`
  )
}

/** The answer to an incoming call. */
export function incomingCallTwiml(s: IvrSettings): string {
  const greeting = s.greeting ?? 'Thank you for calling.'
  const next = s.forwardTo ? `<Dial timeout="20" action="${step(s.url, 'dialed')}" method="POST">${xmlEscape(s.forwardTo)}</Dial>` : voicemail(s)
  return doc(
    `<Gather numDigits="1" timeout="5" action="${step(s.url, 'menu')}" method="POST"><Say>${xmlEscape(greeting)} To have us call you back, press 1.</Say></Gather>` + next,
  )
}

/** After the menu: 1 is a callback request; anything else goes on as if no key was pressed. */
export function menuTwiml(s: IvrSettings, digits: string): string {
  if (digits === '1') return doc('<Say>Thank you. We will call you back as soon as we can. Goodbye.</Say><Hangup/>')
  return doc(s.forwardTo ? `<Dial timeout="20" action="${step(s.url, 'dialed')}" method="POST">${xmlEscape(s.forwardTo)}</Dial>` : voicemail(s))
}

/** After the forwarded leg: answered ends the call, otherwise voicemail. */
export function dialedTwiml(s: IvrSettings, answered: boolean): string {
  return doc(answered ? '<Hangup/>' : voicemail(s))
}

export const hangupTwiml = () => doc('<Hangup/>')
export const emptyTwiml = () => doc('')
