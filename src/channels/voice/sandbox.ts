import type { TwilioSandbox } from '../sms/sandbox.ts'

/**
 * Twilio Voice's webhook parameters, for driving the voice channel through
 * the sandbox Twilio (src/channels/sms/sandbox.ts signs and sends them): a
 * call's base parameters plus what each step adds.
 */
export function callParams(s: Pick<TwilioSandbox, 'accountSid'>, c: { callSid: string; from: string; to: string; status?: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: s.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: c.callSid,
    CallStatus: c.status ?? 'ringing',
    Called: c.to,
    Caller: c.from,
    Direction: 'inbound',
    From: c.from,
    FromCountry: 'US',
    To: c.to,
    ToCountry: 'US',
    ...extra,
  }
}

/** One simulated caller on one line: each method posts the webhook Twilio would send at that point of the call. */
export function simulatedCall(s: TwilioSandbox, hookUrl: string, c: { from: string; to: string }) {
  const callSid = s.newSid('CA')
  const base = { callSid, ...c }
  const step = (name: string) => `${hookUrl}?step=${name}`
  return {
    callSid,
    ring: () => s.webhook(hookUrl, callParams(s, base, {})),
    status: (status: string, extra: Record<string, string> = {}) => s.webhook(hookUrl, callParams(s, { ...base, status }, extra)),
    press: (digits: string) => s.webhook(step('menu'), callParams(s, { ...base, status: 'in-progress' }, { Digits: digits })),
    dialed: (dialStatus: string, seconds = 0) => s.webhook(step('dialed'), callParams(s, { ...base, status: 'in-progress' }, { DialCallStatus: dialStatus, DialCallDuration: String(seconds) })),
    /** Leaves a voicemail: the recording is served by the sandbox, as Twilio serves it. */
    async voicemail(audio: Buffer, seconds: number) {
      const recordingUrl = s.addMedia('audio/x-wav', audio, 'Recordings')
      const recordingSid = recordingUrl.slice(recordingUrl.lastIndexOf('/') + 1)
      const res = await s.webhook(step('recording'), callParams(s, { ...base, status: 'in-progress' }, { RecordingSid: recordingSid, RecordingUrl: recordingUrl, RecordingDuration: String(seconds) }))
      return { res, recordingSid }
    },
    transcript: (recordingSid: string, text: string) =>
      s.webhook(step('transcription'), callParams(s, { ...base, status: 'completed' }, { TranscriptionSid: s.newSid('TR'), TranscriptionStatus: 'completed', TranscriptionText: text, RecordingSid: recordingSid, RecordingUrl: 'x' })),
  }
}
