import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, conflict, notFound } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './templates.repository.ts'
import {
  countVariables,
  type NewTemplate,
  renderTemplateBody,
  type TemplatePatch,
  type TemplateSend,
  type TemplateSendInput,
  toTemplate,
  type WhatsappTemplate,
} from './templates.types.ts'
import { type WindowState, windowState } from './window.ts'

/** What the templates use of their neighbours. */
export interface TemplatesDeps {
  inboxes: { getInTx(trx: Tx, ws: string, id: string): Promise<{ id: string; channel: string; active: boolean } | null> }
  conversations: {
    /** Writes an outbound message queued for delivery in the caller's transaction (the conversations module). */
    addAutomaticMessageInTx(trx: Tx, actor: Actor, conversationId: string, input: { inboxId: string; text: string; metadata?: Record<string, unknown> }): Promise<{ id: string }>
  }
}

/**
 * WhatsApp message templates of an inbox (recorded as approved in WhatsApp
 * Manager), sending one into a conversation, and the conversation's
 * 24-hour customer-service window.
 */
export function createTemplatesService(p: Platform, deps: TemplatesDeps) {
  async function whatsappInbox(trx: Tx, ws: string, inboxId: string) {
    const inbox = await deps.inboxes.getInTx(trx, ws, inboxId)
    if (!inbox || inbox.channel !== 'whatsapp') throw notFound('WhatsApp inbox')
    return inbox
  }

  async function loadTemplate(trx: Tx, ws: string, inboxId: string, id: string) {
    const row = await repo.findTemplate(trx, ws, inboxId, id)
    if (!row) throw notFound('Template')
    return row
  }

  /** The WhatsApp inbox of a conversation: the given one, else the one the customer last wrote to, else its inbox of origin. */
  async function inboxOfConversation(trx: Tx, ws: string, conversationId: string, inboxId: string | undefined) {
    const conv = await repo.conversationInbox(trx, ws, conversationId)
    if (!conv) throw notFound('Conversation')
    if (inboxId) return (await whatsappInbox(trx, ws, inboxId)).id
    const last = await repo.lastWhatsappInbound(trx, ws, conversationId)
    if (last) return last.inboxId
    if (conv.channel === 'whatsapp') return conv.inbox_id
    throw new AppError('UNPROCESSABLE', 'This conversation has no WhatsApp inbox yet: give inboxId', { field: 'body.inboxId' })
  }

  return {
    async list(actor: Actor, inboxId: string): Promise<WhatsappTemplate[]> {
      authorize(actor, 'inboxes:read')
      return p.tx(actor, async (trx) => {
        await whatsappInbox(trx, actor.workspaceId, inboxId)
        return (await repo.listTemplates(trx, actor.workspaceId, inboxId)).map(toTemplate)
      })
    },

    async get(actor: Actor, inboxId: string, id: string): Promise<WhatsappTemplate> {
      authorize(actor, 'inboxes:read')
      return p.tx(actor, async (trx) => {
        await whatsappInbox(trx, actor.workspaceId, inboxId)
        return toTemplate(await loadTemplate(trx, actor.workspaceId, inboxId, id))
      })
    },

    async create(actor: Actor, inboxId: string, input: NewTemplate): Promise<WhatsappTemplate> {
      authorize(actor, 'inboxes:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        await whatsappInbox(trx, ws, inboxId)
        const row = await repo.insertTemplate(trx, ws, { inbox_id: inboxId, ...input, variable_count: countVariables(input.body) })
        if (!row) throw conflict(`This inbox already has a template ${input.name} in ${input.language}`, { name: input.name, language: input.language })
        await recordAudit(trx, actor, { action: 'whatsapp-template.created', entityType: 'inbox', entityId: inboxId, changes: { after: { templateId: row.id, name: row.name, language: row.language, status: row.status } } })
        return toTemplate(row)
      })
    },

    async update(actor: Actor, inboxId: string, id: string, patch: TemplatePatch): Promise<WhatsappTemplate> {
      authorize(actor, 'inboxes:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        await whatsappInbox(trx, ws, inboxId)
        const before = await loadTemplate(trx, ws, inboxId, id)
        const row = await repo.updateTemplate(trx, ws, id, { ...patch, ...(patch.body !== undefined && { variable_count: countVariables(patch.body) }) })
        if (!row) throw notFound('Template')
        await recordAudit(trx, actor, {
          action: 'whatsapp-template.updated',
          entityType: 'inbox',
          entityId: inboxId,
          changes: { templateId: id, before: { status: before.status, category: before.category, body: before.body }, after: { status: row.status, category: row.category, body: row.body } },
        })
        return toTemplate(row)
      })
    },

    async remove(actor: Actor, inboxId: string, id: string): Promise<void> {
      authorize(actor, 'inboxes:write')
      await p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        await whatsappInbox(trx, ws, inboxId)
        const row = await loadTemplate(trx, ws, inboxId, id)
        await repo.deleteTemplate(trx, ws, id)
        await recordAudit(trx, actor, { action: 'whatsapp-template.deleted', entityType: 'inbox', entityId: inboxId, changes: { before: { templateId: id, name: row.name, language: row.language } } })
      })
    },

    /** Whether free text can reach the customer now, through the conversation's WhatsApp inbox. */
    async window(actor: Actor, conversationId: string, inboxId?: string): Promise<WindowState & { inboxId: string | null }> {
      authorize(actor, 'conversations:read')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        const conv = await repo.conversationInbox(trx, ws, conversationId)
        if (!conv) throw notFound('Conversation')
        if (inboxId) await whatsappInbox(trx, ws, inboxId)
        const last = await repo.lastWhatsappInbound(trx, ws, conversationId, inboxId)
        return { inboxId: last?.inboxId ?? inboxId ?? (conv.channel === 'whatsapp' ? conv.inbox_id : null), ...windowState(last?.receivedAt) }
      })
    },

    /**
     * Sends an approved template into the conversation (allowed whatever the
     * window): an outbound message with the rendered body as its text, queued
     * for the delivery job, which sends it as a Cloud API template message.
     */
    async send(actor: Actor, conversationId: string, input: TemplateSendInput): Promise<{ messageId: string; text: string; template: TemplateSend }> {
      authorize(actor, 'messages:write')
      return p.tx(actor, async (trx) => {
        const ws = actor.workspaceId
        const inboxId = await inboxOfConversation(trx, ws, conversationId, input.inboxId)
        const row = input.templateId ? await repo.findTemplate(trx, ws, inboxId, input.templateId) : await repo.findTemplateByName(trx, ws, inboxId, input.name ?? '', input.language ?? '')
        if (!row) throw notFound('Template')
        if (row.status !== 'approved')
          throw new AppError('WHATSAPP_TEMPLATE_NOT_APPROVED', `Template ${row.name} (${row.language}) is ${row.status}; only approved templates can be sent`, { status: row.status })
        if (input.variables.length !== row.variable_count)
          throw new AppError('VALIDATION_FAILED', `Template ${row.name} takes ${row.variable_count} variables; ${input.variables.length} given`, [{ field: 'body.variables', message: `must hold exactly ${row.variable_count} values` }])
        const template: TemplateSend = { templateId: row.id, name: row.name, language: row.language, variables: input.variables }
        const text = renderTemplateBody(row.body, input.variables)
        const message = await deps.conversations.addAutomaticMessageInTx(trx, actor, conversationId, { inboxId, text, metadata: { whatsappTemplate: template, sentBy: actor.userId } })
        await recordAudit(trx, actor, { action: 'whatsapp-template.sent', entityType: 'conversation', entityId: conversationId, changes: { messageId: message.id, templateId: row.id, name: row.name, language: row.language } })
        return { messageId: message.id, text, template }
      })
    },
  }
}
export type TemplatesService = ReturnType<typeof createTemplatesService>
