import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Listener } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import { z } from 'zod'

/**
 * Callback requests: a task with a due time in a case ("call this customer
 * back"), made by an agent or integration through the API, or by the caller
 * through the phone menu. The request and its `callback.requested` event
 * commit together; a listener turns the event into a durable reminder job
 * (pg-boss, due at `dueAt`), whose run marks the task reminded and writes
 * `callback.due` into the case's timeline.
 */

export const REMINDER_QUEUE = 'callback-reminder'

export const callbackSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    kind: z.literal('callback'),
    status: z.enum(['open', 'done', 'canceled']),
    phone: z.string().nullable(),
    note: z.string().nullable(),
    dueAt: z.string(),
    source: z.enum(['api', 'ivr', 'widget']),
    createdBy: z.string().nullable(),
    remindedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'CallbackRequest' })
export type Callback = z.infer<typeof callbackSchema>

export const toCallback = (r: Row<'tasks'>): Callback => ({
  id: r.id,
  conversationId: r.conversation_id,
  kind: 'callback',
  status: r.status,
  phone: r.phone,
  note: r.note,
  dueAt: r.due_at.toISOString(),
  source: r.source,
  createdBy: r.created_by,
  remindedAt: r.reminded_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
})

export interface NewCallback {
  conversationId: string
  contactId: string
  phone: string | null
  note?: string | null | undefined
  dueAt: Date
  source: 'api' | 'ivr' | 'widget'
}

/** Inserts the task and its event in the caller's transaction (the conversation is the caller's to check). */
export async function createCallbackInTx(trx: Tx, actor: Actor, c: NewCallback): Promise<Callback> {
  const row = await trx
    .insertInto('tasks')
    .values({ workspace_id: actor.workspaceId, conversation_id: c.conversationId, kind: 'callback', phone: c.phone, note: c.note ?? null, due_at: c.dueAt, source: c.source, created_by: actor.userId, created_at: new Date(), updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow()
  const task = toCallback(row)
  await appendEvent(trx, actor, { type: 'callback.requested', conversationId: c.conversationId, contactId: c.contactId, payload: { taskId: task.id, phone: task.phone, dueAt: task.dueAt, note: task.note, source: task.source } })
  await recordAudit(trx, actor, { action: 'callback.requested', entityType: 'conversation', entityId: c.conversationId, changes: { taskId: task.id, dueAt: task.dueAt, source: task.source } })
  return task
}

export interface CallbackDeps {
  /** Opens a case for a phone number with a first message (the default API inbox, or the one given). */
  openCase(actor: Actor, input: { inboxId?: string | undefined; phone: string; name?: string | undefined; text: string }): Promise<{ id: string; contactId: string }>
}

export function createCallbacksService(p: Platform, deps: CallbackDeps) {
  const dueOf = (dueAt: string | undefined) => (dueAt ? new Date(dueAt) : new Date(Date.now() + p.config.callbackDefaultDelayMinutes * 60_000))

  async function conversationOf(trx: Tx, ws: string, id: string) {
    const conv = await trx.selectFrom('conversations').select(['id', 'contact_id', 'status']).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst()
    if (!conv) throw notFound('Conversation')
    return conv
  }

  async function phoneOf(trx: Tx, ws: string, contactId: string): Promise<string | null> {
    const row = await trx.selectFrom('contact_identities').select('value').where('workspace_id', '=', ws).where('contact_id', '=', contactId).where('kind', '=', 'phone').orderBy('created_at').limit(1).executeTakeFirst()
    return row?.value ?? null
  }

  return {
    /** A callback in an existing case; the phone defaults to the contact's first number. */
    async requestInConversation(actor: Actor, conversationId: string, input: { phone?: string | undefined; dueAt?: string | undefined; note?: string | undefined; source?: 'api' | 'widget' }): Promise<Callback> {
      authorize(actor, 'conversations:write')
      return p.tx(actor, async (trx) => {
        const conv = await conversationOf(trx, actor.workspaceId, conversationId)
        if (conv.status === 'closed') throw new AppError('UNPROCESSABLE', 'This conversation is closed; request the callback in a new one (POST /callback-requests)', { status: conv.status })
        const phone = input.phone ?? (await phoneOf(trx, actor.workspaceId, conv.contact_id))
        if (!phone) throw new AppError('VALIDATION_FAILED', 'body.phone is required: the contact has no phone number', [{ field: 'body.phone', message: 'is required (the contact has no phone number)' }])
        return createCallbackInTx(trx, actor, { conversationId: conv.id, contactId: conv.contact_id, phone, note: input.note, dueAt: dueOf(input.dueAt), source: input.source ?? 'api' })
      })
    },

    /** A callback for a phone number: opens a case for it (contact found or created by the number), with the task in it. */
    async request(actor: Actor, input: { phone: string; name?: string | undefined; dueAt?: string | undefined; note?: string | undefined; inboxId?: string | undefined }): Promise<Callback> {
      authorize(actor, 'conversations:write')
      const conv = await deps.openCase(actor, { inboxId: input.inboxId, phone: input.phone, name: input.name, text: input.note ? `Callback requested: ${input.note}` : 'Callback requested' })
      return p.tx(actor, async (trx) => {
        const phone = (await phoneOf(trx, actor.workspaceId, conv.contactId)) ?? input.phone
        return createCallbackInTx(trx, actor, { conversationId: conv.id, contactId: conv.contactId, phone, note: input.note, dueAt: dueOf(input.dueAt), source: 'api' })
      })
    },

    async list(actor: Actor, conversationId: string): Promise<Callback[]> {
      authorize(actor, 'conversations:read')
      return p.tx(actor, async (trx) => {
        await conversationOf(trx, actor.workspaceId, conversationId)
        const rows = await trx.selectFrom('tasks').selectAll().where('workspace_id', '=', actor.workspaceId).where('conversation_id', '=', conversationId).orderBy('created_at').orderBy('id').execute()
        return rows.map(toCallback)
      })
    },

    /** Marks a callback done or canceled. */
    async update(actor: Actor, id: string, input: { status: 'open' | 'done' | 'canceled' }): Promise<Callback> {
      authorize(actor, 'conversations:write')
      return p.tx(actor, async (trx) => {
        const row = await trx.updateTable('tasks').set({ status: input.status, updated_at: new Date() }).where('workspace_id', '=', actor.workspaceId).where('id', '=', id).returningAll().executeTakeFirst()
        if (!row) throw notFound('Callback request')
        await appendEvent(trx, actor, { type: 'callback.updated', conversationId: row.conversation_id, payload: { taskId: row.id, status: row.status } })
        await recordAudit(trx, actor, { action: 'callback.updated', entityType: 'conversation', entityId: row.conversation_id, changes: { taskId: row.id, status: row.status } })
        return toCallback(row)
      })
    },

    /** Enqueues the reminder of a committed request, due at its time (idempotent: the job id is the task id). */
    reminderListener(): Listener {
      return {
        id: 'voice.enqueue-callback-reminder',
        types: ['callback.requested'],
        async handle(event, trx) {
          const payload = event.payload as { taskId: string; dueAt: string }
          const inSeconds = Math.max(0, Math.ceil((new Date(payload.dueAt).getTime() - Date.now()) / 1000))
          await p.jobs.sendInTx(trx, REMINDER_QUEUE, { workspaceId: event.workspaceId, taskId: payload.taskId }, { id: payload.taskId, startAfterSeconds: inSeconds, retryLimit: 5 })
        },
      }
    },

    /** The reminder's run: an open, not yet reminded task becomes due in its case's timeline. */
    async remind(data: { workspaceId: string; taskId: string }): Promise<void> {
      await p.tx(data.workspaceId, async (trx) => {
        const row = await trx
          .updateTable('tasks')
          .set({ reminded_at: new Date() })
          .where('workspace_id', '=', data.workspaceId)
          .where('id', '=', data.taskId)
          .where('status', '=', 'open')
          .where('reminded_at', 'is', null)
          .returningAll()
          .executeTakeFirst()
        if (!row) return
        await appendEvent(trx, { kind: 'system', workspaceId: data.workspaceId, userId: null, role: 'owner', label: 'callback reminder' }, {
          type: 'callback.due',
          conversationId: row.conversation_id,
          payload: { taskId: row.id, phone: row.phone, dueAt: row.due_at.toISOString(), note: row.note },
        })
      })
    },
  }
}
export type CallbacksService = ReturnType<typeof createCallbacksService>
