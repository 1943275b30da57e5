import { type Actor, authorize, can, requireUser } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError, forbidden, notFound } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import type { ContactsService } from '../contacts/index.ts'
import type { ConversationsService } from '../conversations/index.ts'
import { usersRepository } from '../users/index.ts'
import * as repo from './canned-replies.repository.ts'
import { type CannedReply, firstName, renderTemplate, type TemplateVariable, toCannedReply, unknownVariables } from './canned-replies.types.ts'

export interface CannedReplyInput {
  name: string
  shortcut?: string | null | undefined
  body: string
  shared?: boolean | undefined
}

const visible = (actor: Actor, r: Row<'canned_replies'> | undefined): r is Row<'canned_replies'> => Boolean(r && (r.shared || r.owner_id === actor.userId))

function assertMayChange(actor: Actor, r: Row<'canned_replies'>, sharing: boolean): void {
  if (r.shared || sharing) {
    if (!can(actor, 'desk:share')) throw forbidden(`Your role (${actor.role}) may not change shared canned replies`)
  } else if (r.owner_id !== actor.userId) throw notFound('Canned reply')
}

function assertVariables(body: string): void {
  const unknown = unknownVariables(body)
  if (unknown.length)
    throw new AppError('VALIDATION_FAILED', `Unknown variables: ${unknown.map((v) => `{{${v}}}`).join(', ')}`, unknown.map((v) => ({ field: 'body.body', message: `unknown variable {{${v}}}` })))
}

/** Canned replies with {{variables}}, personal or shared, and their rendering for one conversation. */
export function createCannedRepliesService(p: Platform, deps: { conversations: Pick<ConversationsService, 'get'>; contacts: Pick<ContactsService, 'getContactInTx'> }) {
  const load = async (actor: Actor, id: string) => {
    const row = await p.tx(actor, (trx) => repo.findReply(trx, actor.workspaceId, id))
    if (!visible(actor, row)) throw notFound('Canned reply')
    return row
  }

  return {
    async list(actor: Actor, query?: string): Promise<CannedReply[]> {
      authorize(actor, 'conversations:read')
      return (await p.tx(actor, (trx) => repo.listReplies(trx, actor.workspaceId, actor.userId, query))).map(toCannedReply)
    },

    async get(actor: Actor, id: string): Promise<CannedReply> {
      authorize(actor, 'conversations:read')
      return toCannedReply(await load(actor, id))
    },

    async create(actor: Actor, input: CannedReplyInput): Promise<CannedReply> {
      authorize(actor, 'messages:write')
      if (input.shared) authorize(actor, 'desk:share')
      const ownerId = requireUser(actor)
      assertVariables(input.body)
      return p.tx(actor, async (trx) => {
        const row = await repo.insertReply(trx, actor.workspaceId, { ownerId, name: input.name, shortcut: input.shortcut ?? null, body: input.body, shared: input.shared ?? false })
        await recordAudit(trx, actor, { action: 'canned-reply.created', entityType: 'canned_reply', entityId: row.id, changes: { after: { name: row.name, shortcut: row.shortcut, shared: row.shared } } })
        return toCannedReply(row)
      })
    },

    async update(actor: Actor, id: string, patch: Partial<CannedReplyInput>): Promise<CannedReply> {
      authorize(actor, 'messages:write')
      if (patch.body !== undefined) assertVariables(patch.body)
      return p.tx(actor, async (trx) => {
        const before = await repo.findReply(trx, actor.workspaceId, id)
        if (!visible(actor, before)) throw notFound('Canned reply')
        assertMayChange(actor, before, patch.shared === true)
        const row = await repo.updateReply(trx, actor.workspaceId, id, patch)
        await recordAudit(trx, actor, {
          action: 'canned-reply.updated',
          entityType: 'canned_reply',
          entityId: id,
          changes: { before: { name: before.name, shortcut: before.shortcut, body: before.body, shared: before.shared }, after: { name: row.name, shortcut: row.shortcut, body: row.body, shared: row.shared } },
        })
        return toCannedReply(row)
      })
    },

    async delete(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'messages:write')
      await p.tx(actor, async (trx) => {
        const before = await repo.findReply(trx, actor.workspaceId, id)
        if (!visible(actor, before)) throw notFound('Canned reply')
        assertMayChange(actor, before, false)
        await repo.deleteReply(trx, actor.workspaceId, id)
        await recordAudit(trx, actor, { action: 'canned-reply.deleted', entityType: 'canned_reply', entityId: id, changes: { before: { name: before.name, shared: before.shared } } })
      })
    },

    /** The reply's text for one conversation: its contact, the acting agent, the case. */
    async render(actor: Actor, id: string, conversationId: string): Promise<{ text: string; missing: TemplateVariable[] }> {
      authorize(actor, 'conversations:read')
      const reply = await load(actor, id)
      const conversation = await deps.conversations.get(actor, conversationId)
      const { contact, agent } = await p.tx(actor, async (trx) => ({
        contact: await deps.contacts.getContactInTx(trx, actor.workspaceId, conversation.contactId),
        agent: actor.userId ? await usersRepository.findUser(trx, actor.workspaceId, actor.userId) : undefined,
      }))
      const identity = (kind: string) => contact?.identities.find((i) => i.kind === kind)?.value ?? null
      return renderTemplate(reply.body, {
        'contact.name': contact?.name ?? null,
        'contact.firstName': firstName(contact?.name ?? null),
        'contact.email': identity('email'),
        'contact.phone': identity('phone'),
        'agent.name': agent?.name ?? null,
        'agent.firstName': firstName(agent?.name ?? null),
        'agent.email': agent?.email ?? null,
        'conversation.number': String(conversation.number),
        'conversation.subject': conversation.subject,
        'conversation.status': conversation.status,
        'conversation.channel': conversation.channel,
      })
    },
  }
}
export type CannedRepliesService = ReturnType<typeof createCannedRepliesService>
