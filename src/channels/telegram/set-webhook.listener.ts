import type { PlainListener } from '../../platform/events/events.ts'
import type { Logger } from '../../platform/observability/logger.ts'
import type { ResolvedInbox } from '../channel.ts'
import { setWebhook } from './bot-api.ts'

/**
 * inbox.created / inbox.updated (telegram) → setWebhook: the admin pastes a
 * bot token and Omnidesk points the bot at its webhook URL with the secret
 * token. Again when the token, the settings or the active flag change.
 * Safe to run twice (setWebhook sets the same URL). A temporary failure is
 * thrown so the dispatcher retries with backoff; a refusal is logged.
 */
export function telegramSetWebhookListener(deps: { resolveInbox(id: string): Promise<ResolvedInbox | null>; publicUrl: string | undefined; logger: Logger }): PlainListener {
  return {
    id: 'telegram.set-webhook',
    types: ['inbox.created', 'inbox.updated'],
    database: false,
    async handle(event) {
      const payload = event.payload as { inboxId?: string; channel?: string; changed?: string[] }
      if (payload.channel !== 'telegram' || !payload.inboxId) return
      if (event.type === 'inbox.updated' && !(payload.changed ?? []).some((c) => c === 'config' || c === 'active' || c === 'secret:botToken')) return
      const inbox = await deps.resolveInbox(payload.inboxId)
      if (!inbox) return // deactivated or deleted: nothing to point at
      const token = inbox.secrets.botToken
      if (typeof token !== 'string') return
      if (!deps.publicUrl) {
        deps.logger.warn({ inboxId: inbox.id }, 'telegram: PUBLIC_URL is not set, so the bot webhook was not registered; set it and save the inbox again, or POST /api/v1/inboxes/{id}/telegram-webhook')
        return
      }
      const r = await setWebhook(inbox, token, deps.publicUrl)
      if (r.ok) {
        deps.logger.info({ inboxId: inbox.id, url: r.url }, 'telegram: bot webhook registered')
        return
      }
      if (r.retryable) throw new Error(`setWebhook failed: ${r.code}: ${r.message}`)
      deps.logger.error({ inboxId: inbox.id, code: r.code, message: r.message }, 'telegram: setWebhook was refused')
    },
  }
}
