import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import { commonErrors, idParam } from '../../platform/http/schemas.ts'
import type { ResolvedInbox } from '../channel.ts'
import { callBot, setWebhook } from './bot-api.ts'

const webhookInfoSchema = z.object({
  expectedUrl: z.string().nullable(),
  url: z.string(),
  registered: z.boolean(),
  pendingUpdateCount: z.number().int(),
  lastErrorAt: z.string().nullable(),
  lastErrorMessage: z.string().nullable(),
})

/**
 * What Telegram says about the bot's webhook (getWebhookInfo), and a way to
 * register it again by hand (the listener does it when the inbox is saved).
 */
export function telegramAdminRoutes(deps: { resolveInbox(id: string): Promise<ResolvedInbox | null>; publicUrl: string | undefined }): FastifyPluginAsyncZod {
  async function inboxOf(actor: Actor, id: string) {
    const inbox = await deps.resolveInbox(id)
    // Another workspace's inbox is as unknown as a missing one.
    if (!inbox || inbox.workspaceId !== actor.workspaceId || inbox.channel !== 'telegram') throw notFound('Telegram inbox')
    const token = inbox.secrets.botToken
    if (typeof token !== 'string') throw new AppError('UNPROCESSABLE', 'The inbox has no bot token')
    return { inbox, token }
  }
  const expected = (id: string) => (deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, '')}/webhooks/telegram/${id}` : null)

  return async (app) => {
    const tags = ['Telegram']
    app.get('/inboxes/:id/telegram-webhook', {
      schema: { tags, summary: "The Telegram bot's webhook as Telegram sees it", params: idParam, response: { 200: webhookInfoSchema, ...commonErrors } },
    }, async (req) => {
      authorize(req.actor, 'inboxes:read')
      const { inbox, token } = await inboxOf(req.actor, req.params.id)
      const r = await callBot<{ url?: string; pending_update_count?: number; last_error_date?: number; last_error_message?: string }>(inbox.config.apiBaseUrl as string | undefined, token, 'getWebhookInfo')
      if (!r.ok) throw new AppError('UNAVAILABLE', `Telegram did not answer getWebhookInfo: ${r.code}: ${r.message}`)
      const info = r.body.result ?? {}
      return {
        expectedUrl: expected(inbox.id),
        url: info.url ?? '',
        registered: !!info.url && info.url === expected(inbox.id),
        pendingUpdateCount: info.pending_update_count ?? 0,
        lastErrorAt: info.last_error_date ? new Date(info.last_error_date * 1000).toISOString() : null,
        lastErrorMessage: info.last_error_message ?? null,
      }
    })

    app.post('/inboxes/:id/telegram-webhook', {
      schema: { tags, summary: "Register the bot's webhook again (setWebhook)", params: idParam, response: { 200: z.object({ url: z.string() }), ...commonErrors } },
    }, async (req) => {
      authorize(req.actor, 'inboxes:write')
      const { inbox, token } = await inboxOf(req.actor, req.params.id)
      if (!deps.publicUrl) throw new AppError('UNPROCESSABLE', 'PUBLIC_URL is not set: Telegram needs the public address of this server')
      const r = await setWebhook(inbox, token, deps.publicUrl)
      if (!r.ok) throw new AppError('UNAVAILABLE', `Telegram refused setWebhook: ${r.code}: ${r.message}`)
      return { url: r.url }
    })
  }
}
