import { ZodError } from 'zod'
import { type Actor, systemActor } from '../../platform/auth/actor.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { type InboundAttachment, type IngestResult, latestOpenConversation } from '../../modules/conversations/index.ts'
import type { ResolvedInbox } from '../channel.ts'
import type { WebhookAnswer, WebhookDefinition } from '../webhooks.ts'
import { TWILIO_API_BASE_URL } from '../sms/adapter.ts'
import { fetchMedia } from '../sms/media.ts'
import { type SmsWebhookDeps, signedUrl, twiml, verifyTwilioRequest } from '../sms/webhook.ts'
import { createCallbackInTx } from './callbacks.ts'
import * as calls from './calls.repository.ts'
import { type CallEvent, type CallStatus, describeDuration, parseVoiceWebhook, unansweredEnds, type VoiceWebhook } from './payloads.ts'
import { dialedTwiml, emptyTwiml, hangupTwiml, incomingCallTwiml, type IvrSettings, menuTwiml } from './twiml.ts'

/** What a voice inbox is configured with (src/channels/voice/config.ts), secrets aside. */
interface VoiceSettings {
  accountSid?: string
  apiBaseUrl?: string
  greeting?: string
  forwardTo?: string
  voicemailMaxSeconds?: number
}

export type VoiceWebhookDeps = Pick<SmsWebhookDeps, 'contacts' | 'health'> & {
  conversations: Pick<SmsWebhookDeps['conversations'], 'ingestInboundInTx'>
}

const ended = (s: CallStatus | undefined) => s === 'completed' || (s !== undefined && unansweredEnds.includes(s))

/**
 * Twilio Voice's webhook, `POST /webhooks/voice/:inboxId`, for the incoming
 * call (answered with the IVR's TwiML), its status callbacks, and each IVR
 * step (`?step=`). A call is a row in `voice_calls`; what the customer should
 * see in their case is filed through the conversations intake, idempotent by
 * Twilio's sids: a missed call, an answered call (when it ends), a voicemail
 * with its recording, its transcript, and a callback request from the menu
 * (a task with a due time). The first of these opens a case or joins the
 * caller's open one through this inbox; the rest of the call joins that case.
 */
export function createVoiceWebhook(p: Platform, deps: VoiceWebhookDeps): WebhookDefinition {
  /** Files something the caller did into the call's case (opening or joining one), inside the call's transaction. */
  async function fileInCase(
    trx: Tx,
    actor: Actor,
    inbox: ResolvedInbox,
    call: Row<'voice_calls'>,
    m: { text: string; providerMessageId: string; kind: string; attachments?: InboundAttachment[]; extra?: Record<string, unknown> },
  ): Promise<{ result: IngestResult; call: Row<'voice_calls'> }> {
    const { contactId } = await deps.contacts.resolveContactInTx(trx, actor, { phone: call.from_number })
    const target = call.conversation_id ?? (await latestOpenConversation(trx, inbox.workspaceId, inbox.id, contactId))
    const result = await deps.conversations.ingestInboundInTx(trx, actor, {
      inboxId: inbox.id,
      contact: { phone: call.from_number },
      conversationId: target ?? undefined,
      reopenWindowDays: 7,
      text: m.text,
      providerMessageId: m.providerMessageId,
      attachments: m.attachments,
      metadata: { voice: { kind: m.kind, callSid: call.call_sid, from: call.from_number, to: call.to_number, ...m.extra } },
    })
    const updated = call.conversation_id === result.conversation.id ? call : await calls.updateCall(trx, inbox.workspaceId, call.id, { conversation_id: result.conversation.id, contact_id: result.conversation.contactId })
    return { result, call: updated }
  }

  async function onCallEvent(actor: Actor, inbox: ResolvedInbox, e: CallEvent, ivr: IvrSettings): Promise<WebhookAnswer> {
    await p.tx(actor, async (trx) => {
      let call = await calls.lockCall(trx, inbox.workspaceId, { inboxId: inbox.id, callSid: e.CallSid, from: e.From, to: e.To, status: e.CallStatus })
      if (call.ended_at) return // a late or repeated status after the end changes nothing
      if (!ended(e.CallStatus)) {
        if (call.status !== e.CallStatus) await calls.updateCall(trx, inbox.workspaceId, call.id, { status: e.CallStatus })
        return
      }
      // An answered call keeps its talk time (the forwarded leg's); otherwise the duration is the whole call's.
      const duration = call.outcome === 'answered' && call.duration_seconds !== null ? call.duration_seconds : (e.CallDuration ?? call.duration_seconds)
      call = await calls.updateCall(trx, inbox.workspaceId, call.id, { status: e.CallStatus, ended_at: new Date(), duration_seconds: duration })
      if (call.outcome === 'voicemail') return
      if (call.outcome === 'answered') {
        const talk = call.duration_seconds ?? e.CallDuration ?? 0
        await fileInCase(trx, actor, inbox, call, { text: `Answered call from ${call.from_number} (${describeDuration(talk)})`, providerMessageId: call.call_sid, kind: 'answered', extra: { durationSeconds: talk } })
        return
      }
      const why = e.CallStatus === 'completed' ? 'the caller hung up before anyone answered' : e.CallStatus
      const filed = await fileInCase(trx, actor, inbox, call, { text: `Missed call from ${call.from_number} (${why})`, providerMessageId: call.call_sid, kind: 'missed', extra: { callStatus: e.CallStatus } })
      await calls.updateCall(trx, inbox.workspaceId, filed.call.id, { outcome: 'missed' })
    })
    return twiml(e.CallStatus === 'ringing' || e.CallStatus === 'queued' || e.CallStatus === 'initiated' ? incomingCallTwiml(ivr) : emptyTwiml())
  }

  async function onStep(actor: Actor, inbox: ResolvedInbox, hook: Exclude<VoiceWebhook, { step: 'call' }>, ivr: IvrSettings): Promise<WebhookAnswer> {
    const e = hook.event
    const settings = inbox.config as VoiceSettings
    // The recording is fetched before the transaction: a slow download must not hold the database.
    let files: Awaited<ReturnType<typeof fetchMedia>> = { stored: [], failed: [] }
    if (hook.step === 'recording')
      files = await fetchMedia(p.blobs, [{ url: hook.event.RecordingUrl, contentType: 'audio/x-wav', filename: `voicemail-${hook.event.RecordingSid}.wav` }], {
        workspaceId: inbox.workspaceId,
        allowedOrigin: new URL(settings.apiBaseUrl ?? TWILIO_API_BASE_URL).origin,
        auth: settings.accountSid ? { user: settings.accountSid, password: String(inbox.secrets.authToken) } : undefined,
        maxBytes: 20 * 1024 * 1024,
      })
    try {
      const answer = await p.tx(actor, async (trx): Promise<WebhookAnswer> => {
        const call = await calls.lockCall(trx, inbox.workspaceId, { inboxId: inbox.id, callSid: e.CallSid, from: e.From, to: e.To, status: e.CallStatus ?? 'in-progress' })
        switch (hook.step) {
          case 'menu': {
            if (hook.event.Digits === '1') {
              const filed = await fileInCase(trx, actor, inbox, call, { text: `Callback requested by ${call.from_number} through the phone menu`, providerMessageId: `${call.call_sid}:callback`, kind: 'callback-request' })
              if (!filed.result.duplicate)
                await createCallbackInTx(trx, actor, { conversationId: filed.result.conversation.id, contactId: filed.result.conversation.contactId, phone: call.from_number, dueAt: new Date(Date.now() + p.config.callbackDefaultDelayMinutes * 60_000), source: 'ivr' })
            }
            return twiml(menuTwiml(ivr, hook.event.Digits))
          }
          case 'dialed': {
            const answered = hook.event.DialCallStatus === 'completed'
            if (answered) await calls.updateCall(trx, inbox.workspaceId, call.id, { outcome: 'answered', answered_at: new Date(), duration_seconds: hook.event.DialCallDuration ?? null })
            return twiml(dialedTwiml(ivr, answered))
          }
          case 'recording': {
            const seconds = hook.event.RecordingDuration
            const filed = await fileInCase(trx, actor, inbox, call, {
              text: `Voicemail from ${call.from_number} (${describeDuration(seconds)})${files.failed.length ? ' — the recording could not be fetched' : ''}`,
              providerMessageId: hook.event.RecordingSid,
              kind: 'voicemail',
              attachments: files.stored,
              extra: { recordingSid: hook.event.RecordingSid, recordingUrl: hook.event.RecordingUrl, durationSeconds: seconds, ...(files.failed.length && { recordingNotFetched: files.failed }) },
            })
            if (filed.result.duplicate) files.stored.forEach((f) => void p.blobs.delete(f.blobKey).catch(() => undefined))
            await calls.updateCall(trx, inbox.workspaceId, filed.call.id, { outcome: 'voicemail' })
            return twiml(hangupTwiml())
          }
          case 'transcription': {
            const text = hook.event.TranscriptionStatus === 'completed' && hook.event.TranscriptionText.trim() ? hook.event.TranscriptionText : '(the voicemail could not be transcribed)'
            await fileInCase(trx, actor, inbox, call, { text: `Voicemail transcript: ${text}`, providerMessageId: hook.event.TranscriptionSid, kind: 'transcript', extra: { recordingSid: hook.event.RecordingSid, transcriptionStatus: hook.event.TranscriptionStatus } })
            return twiml(emptyTwiml())
          }
        }
      })
      return answer
    } catch (err) {
      files.stored.forEach((f) => void p.blobs.delete(f.blobKey).catch(() => undefined))
      throw err
    }
  }

  return {
    provider: 'voice',
    channels: ['voice'],
    async receive({ inbox, request }) {
      const params = await verifyTwilioRequest(p, deps.health, inbox, request)
      const step = typeof request.query.step === 'string' ? request.query.step : undefined
      let hook: VoiceWebhook
      try {
        hook = parseVoiceWebhook(params, step)
      } catch (err) {
        if (err instanceof ZodError)
          throw new AppError('VALIDATION_FAILED', `Not a Twilio voice webhook: ${err.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`, err.issues.map((i) => ({ field: `body.${i.path.join('.')}`, message: i.message })))
        throw err
      }
      const settings = inbox.config as VoiceSettings
      const ivr: IvrSettings = { url: signedUrl(p.config.publicUrl, { headers: request.headers, url: `/webhooks/voice/${inbox.id}` }), greeting: settings.greeting, forwardTo: settings.forwardTo, voicemailMaxSeconds: settings.voicemailMaxSeconds }
      const actor = systemActor(inbox.workspaceId, 'Twilio Voice')
      return hook.step === 'call' ? onCallEvent(actor, inbox, hook.event, ivr) : onStep(actor, inbox, hook, ivr)
    },
  }
}
