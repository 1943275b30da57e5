import type { FastifyPluginAsync } from 'fastify'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Platform } from '../../platform/platform.ts'
import type { ResolvedInbox } from '../channel.ts'
import { telegramMediaFetcher } from '../telegram/bot-api.ts'
import { telegramSetWebhookListener } from '../telegram/set-webhook.listener.ts'
import { telegramAdminRoutes } from '../telegram/telegram-admin.routes.ts'
import { telegramWebhook } from '../telegram/telegram-webhook.ts'
import type { WebhookDefinition } from '../webhooks.ts'
import { createTemplatesService, type TemplatesDeps } from '../whatsapp/templates.service.ts'
import { whatsappTemplatesRoutes } from '../whatsapp/templates.routes.ts'
import { createMessagingInbound, type IngestPort } from './inbound.worker.ts'
import { metaWebhooks, urlMediaFetcher, type WebhookObserver, whatsappMediaFetcher } from './meta-webhooks.ts'

export interface MessagingChannelsDeps {
  conversations: IngestPort & TemplatesDeps['conversations']
  inboxes: { getInTx(trx: Tx, ws: string, id: string): Promise<{ id: string; channel: string; active: boolean } | null>; findForWebhook(id: string): Promise<ResolvedInbox | null> }
  /**
   * Told of each webhook whose signature was checked, accepted or not: the
   * hook for inbox health (the shared `webhookRecorder` of src/channels/health.ts
   * once that lands). Must not throw or wait long.
   */
  onWebhook?: WebhookObserver
}

/**
 * The messaging channels' server side — WhatsApp, Messenger, Instagram
 * (Meta Graph) and Telegram: their webhook definitions (mounted by the
 * shared webhook plugin), the inbound job worker, WhatsApp templates and the
 * window, Telegram's webhook registration. Their outbound adapters are in
 * the channel registry like every channel's.
 */
export function createMessagingChannelsModule(p: Platform, deps: MessagingChannelsDeps) {
  const resolveInbox = (id: string) => deps.inboxes.findForWebhook(id)
  const inbound = createMessagingInbound(p, {
    conversations: deps.conversations,
    resolveInbox,
    mediaFetchers: { whatsapp: whatsappMediaFetcher, messenger: urlMediaFetcher, instagram: urlMediaFetcher, telegram: telegramMediaFetcher },
  })
  const templates = createTemplatesService(p, deps)
  const webhooks: WebhookDefinition[] = [...metaWebhooks(inbound, deps.onWebhook), telegramWebhook(inbound, deps.onWebhook)]
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(whatsappTemplatesRoutes(templates))
    await app.register(telegramAdminRoutes({ resolveInbox, publicUrl: p.config.publicUrl }))
  }
  return {
    webhooks,
    inbound,
    templates,
    listeners: [telegramSetWebhookListener({ resolveInbox, publicUrl: p.config.publicUrl, logger: p.logger })],
    routes,
    /** Starts the inbound worker (after the job queue). */
    start: () => inbound.start(),
  }
}
