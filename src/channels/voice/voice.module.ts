import type { Actor } from '../../platform/auth/actor.ts'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { WebhookDefinition } from '../webhooks.ts'
import { callbacksRoutes } from './callbacks.routes.ts'
import { createCallbacksService, REMINDER_QUEUE } from './callbacks.ts'
import { createVoiceWebhook, type VoiceWebhookDeps } from './webhook.ts'

export interface VoiceModuleDeps extends VoiceWebhookDeps {
  conversations: VoiceWebhookDeps['conversations'] & {
    create(actor: Actor, input: { inboxId?: string | undefined; contact: { phone: string; name?: string | undefined }; subject?: string; message: { text: string } }): Promise<{ id: string; contactId: string }>
  }
}

/**
 * The voice channel: Twilio Voice's webhook (calls, IVR, voicemail) and
 * callback requests (API routes, and their durable reminders).
 */
export function createVoiceModule(p: Platform, deps: VoiceModuleDeps) {
  const callbacks = createCallbacksService(p, {
    openCase: (actor, input) => deps.conversations.create(actor, { inboxId: input.inboxId, contact: { phone: input.phone, name: input.name }, subject: 'Callback request', message: { text: input.text } }),
  })
  const webhook: WebhookDefinition = createVoiceWebhook(p, deps)
  return {
    service: callbacks,
    webhook,
    routes: callbacksRoutes(callbacks),
    listeners: [callbacks.reminderListener()],
    async start() {
      await p.jobs.work<{ workspaceId: string; taskId: string }>(REMINDER_QUEUE, (data) => callbacks.remind(data))
    },
  } satisfies ModuleParts & { webhook: WebhookDefinition }
}
