import { systemActor } from '../../platform/auth/actor.ts'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import { RateLimiter } from './chat.policy.ts'
import { messageText } from './chat.repository.ts'
import { agentChatRoutes, publicChatRoutes } from './chat.routes.ts'
import { type ChatDeps, createChatService } from './chat.service.ts'
import { type ChatSocketOptions, createVisitorRegistry, defaultChatSocketOptions } from './chat.socket.ts'
import { continueByEmailListener, EMAIL_CONTINUATION_QUEUE, type EmailContinuationJob } from './listeners/delivery-updated.continue-by-email.ts'
import { createWidgetSource } from './widget-source.ts'

export { chatChannel, chatConfigSchema, type ChatConfig } from './config.ts'
export { identityHash, type ChatService } from './chat.service.ts'
export { buildWidget } from './widget-source.ts'
export { chatCloseCodes } from './chat.types.ts'

/**
 * The web chat channel: the visitor WebSocket and uploads (public, outside
 * /api/v1: `publicRoutes`), the widget script, agents' typing and read marks
 * (`routes`, under /api/v1), and the continuation of a reply by email when
 * the visitor has left.
 */
export function createChatModule(p: Platform, deps: ChatDeps & { conversations: { addMessage: ChatDeps['conversations']['addMessage'] } }, options: Partial<ChatSocketOptions> = {}) {
  const logger = p.logger.child({ component: 'chat' })
  const service = createChatService(p, deps)
  const limiter = new RateLimiter()
  const registry = createVisitorRegistry(p.bus, service, logger)
  const widget = createWidgetSource()
  return {
    service,
    registry,
    routes: agentChatRoutes(service),
    /** Registered at the root: /widget.js, /chat/ws, /chat/attachments. */
    publicRoutes: publicChatRoutes({ service, limiter, widget, socket: { service, registry, limiter, bus: p.bus, logger, options: { ...defaultChatSocketOptions, ...options } } }),
    listeners: [continueByEmailListener(p.jobs)],
    async start() {
      await p.jobs.work<EmailContinuationJob>(EMAIL_CONTINUATION_QUEUE, async (job) => {
        const original = await p.tx(job.workspaceId, (trx) => messageText(trx, job.workspaceId, job.messageId))
        if (!original) return
        await deps.conversations.addMessage(systemActor(job.workspaceId, 'chat: continued by email'), job.conversationId, { text: original.text, channel: 'email', inboxId: job.inboxId })
      })
    },
  } satisfies ModuleParts & Record<string, unknown>
}
