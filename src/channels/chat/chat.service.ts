import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { type Actor, authorize, systemActor } from '../../platform/auth/actor.ts'
import { withSystem } from '../../platform/db/tenant.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import { type ContactsService, suggestMerge } from '../../modules/contacts/index.ts'
import type { ConversationsService } from '../../modules/conversations/index.ts'
import { openSecrets } from '../../modules/inboxes/index.ts'
import { publishPush } from './chat.bus.ts'
import { contentMatchesType, isOpen, typeAllowed } from './chat.policy.ts'
import * as repo from './chat.repository.ts'
import { type ChatMessageView, type ChatWelcome, HISTORY_LIMIT, toMessageView } from './chat.types.ts'
import { type ChatConfig, chatConfigSchema, chatDefaults } from './config.ts'

export interface ChatDeps {
  conversations: Pick<ConversationsService, 'ingestInboundInTx' | 'addMessage'>
  contacts: Pick<ContactsService, 'resolveContactInTx'>
  /** The voice channel's callback requests: a visitor may ask to be called back (a task with a due time in the case). */
  callbacks?: { requestInConversation(actor: Actor, conversationId: string, input: { phone: string; note?: string | undefined; source: 'widget' }): Promise<{ id: string; dueAt: string }> }
}

/** A chat inbox as the public endpoints see it. */
export interface ChatInbox {
  id: string
  workspaceId: string
  name: string
  config: ChatConfig
  identitySecret: string | null
}

/** The visitor a connection or upload acts as. */
export interface VisitorRef {
  id: string
  workspaceId: string
  inboxId: string
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')
const newToken = () => randomBytes(24).toString('base64url')

/** The lowercase hex HMAC-SHA256 of `id` with the inbox's identity secret. */
export const identityHash = (secret: string, id: string) => createHmac('sha256', secret).update(id, 'utf8').digest('hex')

function hashMatches(secret: string, id: string, hash: string): boolean {
  const expected = Buffer.from(identityHash(secret, id), 'utf8')
  const given = Buffer.from(hash, 'utf8')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const widgetIdentity = (visitorId: string) => ({ kind: 'widget' as const, value: visitorId })

export function createChatService(p: Platform, deps: ChatDeps) {
  const actorFor = (ws: string) => systemActor(ws, 'chat widget')

  /** Ensures the visitor writes as a contact (its widget identity), handling a pre-chat email once the contact exists. */
  async function ensureContactInTx(trx: Tx, actor: Actor, visitor: repo.VisitorRow): Promise<string> {
    const { contactId, created } = await deps.contacts.resolveContactInTx(trx, actor, { name: visitor.name ?? undefined, identities: [widgetIdentity(visitor.id)] })
    if (created && visitor.email) await offerEmailInTx(trx, actor, { id: visitor.id, inboxId: visitor.inbox_id }, visitor.email, 'chat.pre-chat-form')
    if (visitor.contact_id !== contactId) await repo.updateVisitor(trx, actor.workspaceId, visitor.id, { contact_id: contactId })
    return contactId
  }

  /**
   * An email the visitor typed (pre-chat form, identify) is unverified: it
   * becomes the visitor's contact's (unverified) email identity only when
   * nobody has it, so a reply can follow by email. Someone else's address
   * never attaches the visitor to that person: it becomes a merge suggestion
   * an agent accepts or rejects.
   */
  async function offerEmailInTx(trx: Tx, actor: Actor, visitor: { id: string; inboxId: string }, email: string, source: string): Promise<void> {
    const value = email.trim().toLowerCase()
    const owner = await repo.identityOwner(trx, actor.workspaceId, 'email', value)
    const mine = await repo.identityOwner(trx, actor.workspaceId, 'widget', visitor.id)
    if (owner) {
      // Someone else's address: an agent may merge the two, never this code.
      if (mine && owner.contact_id !== mine.contact_id) await suggestMerge(trx, actor.workspaceId, owner.contact_id, mine.contact_id, { source, identity: { kind: 'email', value }, inboxId: visitor.inboxId }, actor)
      return
    }
    // Resolution looks the email up first: unowned, so the widget identity decides the contact, which gains the address.
    await deps.contacts.resolveContactInTx(trx, actor, { email: value, identities: [widgetIdentity(visitor.id)] })
  }

  async function historyInTx(trx: Tx, inbox: ChatInbox, visitor: repo.VisitorRow): Promise<ChatMessageView[]> {
    const ws = inbox.workspaceId
    let own = await repo.conversationsOfVisitor(trx, ws, inbox.id, visitor.id)
    const verified = visitor.verified_external_id && visitor.contact_id ? await repo.conversationsOfContact(trx, ws, visitor.contact_id) : []
    // A browser shared by two signed-in users: the cases this browser had as another account are not shown.
    if (visitor.verified_external_id && visitor.contact_id) own = await repo.conversationsNotOfOtherAccounts(trx, ws, own, visitor.contact_id)
    const ids = [...new Set([...own, ...verified, ...(visitor.conversation_id ? [visitor.conversation_id] : [])])]
    const rows = await repo.historyOf(trx, ws, ids, HISTORY_LIMIT)
    const files = await repo.attachmentNames(trx, ws, rows.map((r) => r.id))
    return rows.map((r) => toMessageView(r, visitor.id, files.get(r.id) ?? [], inbox.config.avatarUrl))
  }

  function welcomeOf(inbox: ChatInbox): ChatWelcome {
    const open = isOpen(inbox.config.businessHours)
    return {
      title: inbox.config.title ?? inbox.name,
      open,
      message: open ? (inbox.config.welcomeMessage ?? null) : (inbox.config.awayMessage ?? inbox.config.welcomeMessage ?? null),
      preChatForm: inbox.config.preChatForm === true,
      avatarUrl: inbox.config.avatarUrl ?? null,
      limits: {
        maxMessageLength: inbox.config.maxMessageLength ?? chatDefaults.maxMessageLength,
        maxFileBytes: inbox.config.attachments?.maxFileBytes ?? chatDefaults.maxFileBytes,
        allowedTypes: [...(inbox.config.attachments?.allowedTypes ?? chatDefaults.allowedTypes)],
      },
    }
  }

  async function loadVisitor(trx: Tx, v: VisitorRef): Promise<repo.VisitorRow> {
    const row = await repo.findVisitor(trx, v.workspaceId, v.id, { forUpdate: true })
    if (!row) throw new AppError('UNAUTHENTICATED', 'This chat visitor no longer exists; start a new chat')
    return row
  }

  /** Stores one visitor message (text or a file) through the conversations intake, idempotent on its client id. */
  async function ingest(inbox: ChatInbox, v: VisitorRef, input: { clientId: string; text: string; attachment?: { filename: string; contentType: string; size: number; blobKey: string } }) {
    const actor = actorFor(v.workspaceId)
    const result = await p.tx(actor, async (trx) => {
      const visitor = await loadVisitor(trx, v)
      // The first message makes the visitor a contact (and offers its pre-chat email); later ones resolve by the widget identity in the intake.
      if (!visitor.contact_id) await ensureContactInTx(trx, actor, visitor)
      // The contact input carries the widget identity: the real contacts resolver accepts `identities` beside name/email/phone.
      const contact: { name?: string; identities: Array<{ kind: 'widget'; value: string }> } = { ...(visitor.name && { name: visitor.name }), identities: [widgetIdentity(visitor.id)] }
      const res = await deps.conversations.ingestInboundInTx(trx, actor, {
        inboxId: inbox.id,
        contact,
        conversationId: visitor.conversation_id ?? undefined,
        subject: visitor.topic ?? undefined,
        text: input.text,
        providerMessageId: `${visitor.id}:${input.clientId}`,
        metadata: { chat: { visitorId: visitor.id, clientId: input.clientId } },
        ...(input.attachment && { attachments: [input.attachment] }),
      })
      if (!res.duplicate && visitor.conversation_id !== res.conversation.id) await repo.updateVisitor(trx, v.workspaceId, visitor.id, { conversation_id: res.conversation.id, last_seen_at: new Date() })
      return res
    })
    const view: ChatMessageView = {
      id: result.message.id,
      clientId: input.clientId,
      direction: 'inbound',
      text: result.message.text,
      author: null,
      attachments: result.message.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType })),
      createdAt: result.message.createdAt,
    }
    // Other tabs of the same visitor show it too (they de-duplicate by id).
    if (!result.duplicate) void publishPush(p.bus, v.workspaceId, { requestId: view.id, visitorIds: [v.id], frame: { type: 'message', message: view } }).catch(() => undefined)
    return { message: view, duplicate: result.duplicate, conversationId: result.conversation.id }
  }

  return {
    welcomeOf,

    /** The chat inbox behind a public request: 404 INBOX_NOT_FOUND (unknown, or not a chat inbox), 403 INBOX_DISABLED. */
    async resolveInbox(inboxId: string): Promise<ChatInbox> {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(inboxId)) throw new AppError('INBOX_NOT_FOUND', 'No chat inbox has this id')
      const row = await withSystem(p.db, (trx) => repo.findInboxAnyWorkspace(trx, inboxId))
      if (!row || row.channel !== 'chat') throw new AppError('INBOX_NOT_FOUND', 'No chat inbox has this id')
      if (!row.active) throw new AppError('INBOX_DISABLED', 'This chat is switched off')
      const config = chatConfigSchema.parse(row.config)
      let secrets: Record<string, unknown> = {}
      try {
        secrets = openSecrets(p.box, row.secrets)
      } catch {
        p.logger.error({ inboxId }, 'chat inbox secrets cannot be decrypted; identify() hashes are treated as unverified')
      }
      return { id: row.id, workspaceId: row.workspace_id, name: row.name, config, identitySecret: typeof secrets.identitySecret === 'string' ? secrets.identitySecret : null }
    },

    /**
     * The visitor behind a token, or a new one (a new token is returned only
     * then). Also what the widget shows: welcome, history.
     */
    async hello(inbox: ChatInbox, token: string | undefined) {
      const ws = inbox.workspaceId
      return p.tx(ws, async (trx) => {
        let visitor = token ? await repo.findVisitorByToken(trx, ws, inbox.id, hashToken(token)) : undefined
        let issued: string | null = null
        if (!visitor) {
          issued = newToken()
          visitor = await repo.insertVisitor(trx, ws, { inbox_id: inbox.id, token_hash: hashToken(issued) })
        } else await repo.touch(trx, ws, visitor.id)
        return {
          visitor: { id: visitor.id, workspaceId: ws, inboxId: inbox.id } satisfies VisitorRef,
          token: issued,
          profile: { name: visitor.name, email: visitor.email, topic: visitor.topic, verified: visitor.verified_external_id !== null, preChatDone: visitor.email !== null || visitor.name !== null },
          history: await historyInTx(trx, inbox, visitor),
          readUpTo: visitor.read_up_to?.toISOString() ?? null,
        }
      })
    },

    /** The visitor a token belongs to (uploads), or null. */
    async visitorByToken(inbox: ChatInbox, token: string): Promise<VisitorRef | null> {
      if (token.length > 100) return null
      const row = await p.tx(inbox.workspaceId, (trx) => repo.findVisitorByToken(trx, inbox.workspaceId, inbox.id, hashToken(token)))
      return row ? { id: row.id, workspaceId: row.workspace_id, inboxId: row.inbox_id } : null
    },

    async history(inbox: ChatInbox, v: VisitorRef): Promise<ChatMessageView[]> {
      return p.tx(v.workspaceId, async (trx) => historyInTx(trx, inbox, await loadVisitor(trx, v)))
    },

    /** A visitor's text message. Visitor text is stored as text, never as HTML. */
    async sendMessage(inbox: ChatInbox, v: VisitorRef, input: { clientId: string; text: string }) {
      const max = inbox.config.maxMessageLength ?? chatDefaults.maxMessageLength
      if (input.text.length > max) throw new AppError('PAYLOAD_TOO_LARGE', `A message may be at most ${max} characters`, { maxMessageLength: max })
      if (!input.text.trim()) throw new AppError('VALIDATION_FAILED', 'The message is empty')
      return ingest(inbox, v, input)
    },

    /** A visitor's file: checked against the inbox's limits and its own bytes, stored, then sent as a message. */
    async sendFile(inbox: ChatInbox, v: VisitorRef, input: { clientId: string; filename: string; contentType: string; content: Buffer }) {
      const maxBytes = inbox.config.attachments?.maxFileBytes ?? chatDefaults.maxFileBytes
      if (input.content.length > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `A file may be at most ${maxBytes} bytes`, { maxFileBytes: maxBytes })
      if (input.content.length === 0) throw new AppError('VALIDATION_FAILED', 'The file is empty')
      if (!typeAllowed(inbox.config, input.contentType))
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Files of type ${input.contentType} are not accepted here`, { allowedTypes: inbox.config.attachments?.allowedTypes ?? chatDefaults.allowedTypes })
      if (!contentMatchesType(input.content, input.contentType)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `The file's content is not ${input.contentType}`)
      const filename = input.filename.replace(/[\\/\u0000-\u001f\u007f]/g, '_').slice(0, 200) || 'file'
      const type = input.contentType.split(';')[0]?.trim().toLowerCase() ?? 'application/octet-stream'
      const blob = await p.blobs.put(input.content, { workspaceId: v.workspaceId, filename })
      try {
        const res = await ingest(inbox, v, { clientId: input.clientId, text: `📎 ${filename}`, attachment: { filename, contentType: type, size: input.content.length, blobKey: blob.key } })
        if (res.duplicate) await p.blobs.delete(blob.key).catch(() => undefined)
        return res
      } catch (err) {
        await p.blobs.delete(blob.key).catch(() => undefined)
        throw err
      }
    },

    /** The pre-chat form: what the visitor says about themselves (unverified). */
    async prechat(inbox: ChatInbox, v: VisitorRef, input: { name?: string | undefined; email?: string | undefined; topic?: string | undefined }) {
      const actor = actorFor(v.workspaceId)
      await p.tx(actor, async (trx) => {
        const visitor = await loadVisitor(trx, v)
        const updated = await repo.updateVisitor(trx, v.workspaceId, visitor.id, {
          ...(input.name !== undefined && { name: input.name }),
          ...(input.email !== undefined && { email: input.email.toLowerCase() }),
          ...(input.topic !== undefined && { topic: input.topic }),
        })
        // A visitor who already writes as a contact: the email is offered to that contact now.
        if (updated.contact_id && input.email) await offerEmailInTx(trx, actor, { id: visitor.id, inboxId: visitor.inbox_id }, input.email, 'chat.pre-chat-form')
      })
    },

    /**
     * `Omnidesk.identify()`: with a hash that matches, the visitor becomes the
     * contact with that external id (verified) and sees its history; without
     * one, or with a wrong one, the claim is kept on the visitor as unverified
     * data and nothing is attached.
     */
    async identify(inbox: ChatInbox, v: VisitorRef, input: { id: string; email?: string | undefined; name?: string | undefined; hash?: string | undefined }) {
      const actor = actorFor(v.workspaceId)
      const verified = !!(inbox.identitySecret && input.hash && hashMatches(inbox.identitySecret, input.id, input.hash.toLowerCase()))
      await p.tx(actor, async (trx) => {
        const visitor = await loadVisitor(trx, v)
        const claim = { id: input.id, ...(input.email && { email: input.email }), ...(input.name && { name: input.name }), at: new Date().toISOString(), verified }
        if (!verified) {
          await repo.updateVisitor(trx, v.workspaceId, visitor.id, { claims: JSON.stringify({ ...visitor.claims, identify: claim }) })
          // An unsigned claim to be an existing account is evidence for people to weigh, nothing more.
          const account = await repo.identityOwner(trx, v.workspaceId, 'external', input.id)
          if (account && visitor.contact_id && account.contact_id !== visitor.contact_id)
            await suggestMerge(trx, v.workspaceId, account.contact_id, visitor.contact_id, { source: 'chat.identify-unsigned', identity: { kind: 'external', value: input.id }, inboxId: inbox.id }, actor)
          return
        }
        const ws = v.workspaceId
        const { contactId } = await deps.contacts.resolveContactInTx(trx, actor, { ...(input.name && { name: input.name }), identities: [{ kind: 'external', value: input.id }] })
        await repo.markIdentityVerified(trx, ws, 'external', input.id)
        const widget = await repo.identityOwner(trx, ws, 'widget', visitor.id)
        if (!widget) await deps.contacts.resolveContactInTx(trx, actor, { identities: [{ kind: 'external', value: input.id }, widgetIdentity(visitor.id)] })
        else if (widget.contact_id !== contactId) await repo.moveWidgetIdentity(trx, ws, visitor.id, contactId)
        if (input.email) await offerEmailInTx(trx, actor, { id: visitor.id, inboxId: visitor.inbox_id }, input.email, 'chat.identify-email')
        const sameContact = visitor.contact_id === contactId
        await repo.updateVisitor(trx, ws, visitor.id, {
          contact_id: contactId,
          verified_external_id: input.id,
          ...(!sameContact && { conversation_id: null }),
          ...(input.name && { name: input.name }),
          claims: JSON.stringify({ ...visitor.claims, identify: claim }),
        })
      })
      return { verified, history: await this.history(inbox, v) }
    },

    /** The visitor has seen everything up to this time: stored, and agents are told through the outbox (`chat.read`). */
    async markRead(v: VisitorRef, seen: Date) {
      const actor = actorFor(v.workspaceId)
      // A clock ahead of ours cannot mark the future read.
      const upTo = new Date(Math.min(seen.getTime(), Date.now()))
      await p.tx(actor, async (trx) => {
        const visitor = await loadVisitor(trx, v)
        if (visitor.read_up_to && visitor.read_up_to >= upTo) return
        await repo.updateVisitor(trx, v.workspaceId, visitor.id, { read_up_to: upTo })
        // Agents see it on the realtime stream (event type chat.read, payload { visitorId, upTo }).
        if (visitor.conversation_id)
          await appendEvent(trx, systemActor(v.workspaceId, 'chat visitor'), { type: 'chat.read', conversationId: visitor.conversation_id, contactId: visitor.contact_id, payload: { visitorId: visitor.id, upTo: upTo.toISOString() } })
      })
    },

    /**
     * The visitor asks to be called back at a number they typed: a callback
     * task (source `widget`) in their case. The number is theirs to give, not
     * evidence: it goes on the task, never onto the contact.
     */
    async requestCallback(v: VisitorRef, input: { phone: string; note?: string | undefined }): Promise<{ id: string; dueAt: string }> {
      if (!deps.callbacks) throw new AppError('UNPROCESSABLE', 'Callback requests are not available on this instance')
      const conversationId = await this.conversationOf(v)
      if (!conversationId) throw new AppError('UNPROCESSABLE', 'Write a message first: a callback request joins your conversation')
      return deps.callbacks.requestInConversation(systemActor(v.workspaceId, 'chat visitor'), conversationId, { phone: input.phone, ...(input.note && { note: input.note }), source: 'widget' })
    },

    /** The conversation a visitor chats in (for typing indicators to agents). */
    async conversationOf(v: VisitorRef): Promise<string | null> {
      return p.tx(v.workspaceId, async (trx) => (await repo.findVisitor(trx, v.workspaceId, v.id))?.conversation_id ?? null)
    },

    /** An agent is typing, or has read the chat: pushed to the visitor's open widgets (nothing is stored). */
    async agentSignal(actor: Actor, conversationId: string, signal: { type: 'typing'; typing: boolean } | { type: 'read' }) {
      authorize(actor, 'messages:write')
      const visitorIds = await p.tx(actor, (trx) => repo.visitorIdsOfConversation(trx, actor.workspaceId, conversationId))
      if (visitorIds === null) throw notFound('Conversation')
      const frame = signal.type === 'typing' ? { type: 'typing', typing: signal.typing, name: actor.label } : { type: 'read', at: new Date().toISOString() }
      if (visitorIds.length > 0) await publishPush(p.bus, actor.workspaceId, { requestId: `signal-${Date.now()}`, visitorIds, frame })
      return { visitors: visitorIds.length }
    },

    /** The author's name of a message, for live pushes (the adapter knows only ids and text). */
    async authorName(workspaceId: string, messageId: string): Promise<string | null> {
      return p.tx(workspaceId, (trx) => repo.authorOf(trx, workspaceId, messageId))
    },
  }
}
export type ChatService = ReturnType<typeof createChatService>
