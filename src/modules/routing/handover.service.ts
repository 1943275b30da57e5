import { sql } from 'kysely'
import { type Actor, authorize, can, requireUser } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, forbidden, notFound } from '../../platform/errors.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import { usersRepository } from '../users/index.ts'
import { insertDecision } from './decisions.repository.ts'
import { type ConversationsPort, type Engine, lockRouting, routingActor } from './routing.engine.ts'
import * as repo from './routing.repository.ts'
import { activeStatuses, type Offer, toOffer, type TransferInput } from './routing.types.ts'

/**
 * Work changing hands: offers accepted or declined, their expiry, overflow
 * timers, and manual transfers to an agent, a team or a queue.
 */
export function createHandover(p: Platform, engine: Engine, conversations: ConversationsPort) {
  async function cancelOffersOf(trx: Tx, actor: Actor, conversationId: string, reason: string): Promise<void> {
    for (const o of await repo.pendingOffers(trx, actor.workspaceId, { conversationId })) {
      await repo.settleOffer(trx, actor.workspaceId, o.id, 'cancelled')
      await insertDecision(trx, actor, { conversationId, queueId: o.queue_id, kind: 'requeued', winnerId: o.user_id, reason: `offer cancelled: ${reason}` })
    }
  }

  async function conversationOf(trx: Tx, ws: string, id: string) {
    const c = await trx.selectFrom('conversations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).forUpdate().executeTakeFirst()
    if (!c) throw notFound('Conversation')
    return c
  }

  /** Moves a case into a queue (unassigning it) and routes it there. Caller holds the routing lock. */
  async function moveToQueueInTx(trx: Tx, actor: Actor, conversationId: string, queueId: string, note: string | null): Promise<void> {
    const ws = actor.workspaceId
    const conv = await conversationOf(trx, ws, conversationId)
    if (!(await repo.findQueue(trx, ws, queueId))) throw notFound('Queue')
    await cancelOffersOf(trx, actor, conversationId, 'moved to another queue')
    if (conv.assignee_id) await conversations.assignInTx(trx, actor, conversationId, { assigneeId: null })
    await engine.enqueueInTx(trx, actor, conversationId, { queueId, reason: note ? `moved: ${note}` : 'moved to this queue', kind: 'moved' })
  }

  async function pendingOfferOfActor(trx: Tx, actor: Actor, id: string) {
    const offer = await repo.findOffer(trx, actor.workspaceId, id, { forUpdate: true })
    if (!offer || offer.user_id !== actor.userId) throw notFound('Offer')
    if (offer.state !== 'pending' || offer.expires_at.getTime() <= Date.now())
      throw new AppError('OFFER_NOT_PENDING', `This offer is ${offer.state === 'pending' ? 'expired' : offer.state}`, { state: offer.state === 'pending' ? 'expired' : offer.state })
    return offer
  }

  return {
    moveToQueueInTx,

    async listOffers(actor: Actor, q: { state?: Offer['state'] | undefined; limit: number; cursor?: string | undefined }): Promise<{ items: Offer[]; nextCursor: string | null }> {
      authorize(actor, 'conversations:read')
      const userId = requireUser(actor)
      const after = p.cursors.decode(q.cursor, 2)
      const rows = await p.tx(actor, (trx) => repo.pageOffers(trx, actor.workspaceId, { userId, state: q.state ?? 'pending', limit: q.limit, after }))
      const { items, nextCursor } = page(rows, q.limit, (r) => p.cursors.encode([r.created_key, r.id]))
      return { items: items.map(toOffer), nextCursor }
    },

    async accept(actor: Actor, id: string): Promise<Offer> {
      authorize(actor, 'conversations:write')
      return p.tx(actor, async (trx) => {
        await lockRouting(trx, actor.workspaceId)
        const offer = await pendingOfferOfActor(trx, actor, id)
        const entry = await repo.findEntry(trx, actor.workspaceId, offer.conversation_id, { forUpdate: true })
        const queue = offer.queue_id ? await repo.findQueue(trx, actor.workspaceId, offer.queue_id) : undefined
        const settled = await repo.settleOffer(trx, actor.workspaceId, id, 'accepted')
        if (entry) await engine.assignInTx(trx, actor, entry, offer.user_id, queue?.team_id ?? null)
        else await conversations.assignInTx(trx, actor, offer.conversation_id, { assigneeId: offer.user_id })
        await insertDecision(trx, actor, { conversationId: offer.conversation_id, queueId: offer.queue_id, kind: 'offer_accepted', winnerId: offer.user_id, reason: 'accepted by the agent' })
        await engine.emit(trx, actor, offer.conversation_id, 'routing.offer-accepted', { offerId: id, userId: offer.user_id })
        return toOffer(settled)
      })
    },

    async decline(actor: Actor, id: string): Promise<Offer> {
      authorize(actor, 'conversations:write')
      return p.tx(actor, async (trx) => {
        await lockRouting(trx, actor.workspaceId)
        const offer = await pendingOfferOfActor(trx, actor, id)
        await engine.settleOfferInTx(trx, actor, offer, 'declined', 'declined by the agent')
        return toOffer((await repo.findOffer(trx, actor.workspaceId, id))!)
      })
    },

    /** The offer timer: a pending offer past its deadline expires and the case goes to the next eligible agent. */
    async expireOffer(workspaceId: string, offerId: string): Promise<void> {
      await p.tx(workspaceId, async (trx) => {
        await lockRouting(trx, workspaceId)
        const offer = await repo.findOffer(trx, workspaceId, offerId, { forUpdate: true })
        if (!offer || offer.state !== 'pending') return
        const due = await sql<{ due: boolean }>`select ${offer.expires_at} <= now() as due`.execute(trx)
        if (!due.rows[0]?.due) return
        await engine.settleOfferInTx(trx, routingActor(workspaceId), offer, 'expired', 'not accepted in time')
      })
    },

    /** The overflow timer: a case still waiting in the queue widens to the fallback queue or a lower skill level. */
    async overflow(workspaceId: string, conversationId: string, queueId: string): Promise<void> {
      await p.tx(workspaceId, async (trx) => {
        await lockRouting(trx, workspaceId)
        const entry = await repo.findEntry(trx, workspaceId, conversationId, { forUpdate: true })
        const queue = await repo.findQueue(trx, workspaceId, queueId)
        const rule = queue?.overflow as { afterMinutes: number; queueId?: string; skillLevelDrop?: number } | null | undefined
        if (!entry || !queue || !rule || entry.state !== 'waiting' || entry.queue_id !== queueId) return
        const waited = (Date.now() - entry.entered_queue_at.getTime()) / 60_000
        if (waited + 1 / 60 < rule.afterMinutes) return
        const actor = routingActor(workspaceId)
        if (rule.queueId && (await repo.findQueue(trx, workspaceId, rule.queueId))) {
          await engine.enqueueInTx(trx, actor, conversationId, { queueId: rule.queueId, reason: `overflow from ${queue.name} after ${rule.afterMinutes} min`, kind: 'overflowed' })
        } else if (rule.skillLevelDrop && entry.skill_level_drop < rule.skillLevelDrop) {
          await repo.updateEntry(trx, workspaceId, conversationId, { skill_level_drop: rule.skillLevelDrop })
          await insertDecision(trx, actor, { conversationId, queueId, kind: 'overflowed', reason: `required skill levels lowered by ${rule.skillLevelDrop} after ${rule.afterMinutes} min` })
          await engine.routeOneInTx(trx, workspaceId, conversationId, { recordMiss: true })
        }
      })
    },

    /**
     * Manual transfer to an agent, a team or a queue. The current assignee or
     * a supervisor may transfer; a note is required where the workspace says
     * so; an agent's capacity is respected unless a supervisor overrides it.
     */
    async transfer(actor: Actor, conversationId: string, input: TransferInput): Promise<void> {
      authorize(actor, 'conversations:write')
      if (input.override && !can(actor, 'conversations:assign-any')) throw forbidden('Only supervisors and admins may override an agent’s capacity')
      const ws = actor.workspaceId
      let freed: string | null = null
      await p.tx(actor, async (trx) => {
        await lockRouting(trx, ws)
        const conv = await conversationOf(trx, ws, conversationId)
        if (conv.assignee_id !== actor.userId && !can(actor, 'conversations:assign-any')) throw forbidden('Only the assignee, supervisors and admins may transfer this conversation')
        const note = input.note ?? null
        if (!note && (await repo.settings(trx, ws)).transferNoteRequired) throw new AppError('TRANSFER_NOTE_REQUIRED', 'This workspace requires a note with every transfer')
        freed = conv.assignee_id
        const to = input.to
        if ('userId' in to) {
          const user = await usersRepository.findUser(trx, ws, to.userId)
          if (!user || !user.active) throw new AppError('VALIDATION_FAILED', 'to.userId is not an active user of this workspace', [{ field: 'body.to.userId', message: 'is not an active user of this workspace' }])
          if (to.userId !== conv.assignee_id && !input.override) {
            const agent = await repo.findAgent(trx, ws, to.userId)
            const load = ((await repo.loadsOf(trx, ws, [to.userId])).get(to.userId) ?? {})[conv.channel] ?? 0
            const capacity = agent?.capacity[conv.channel] ?? 0
            if (load >= capacity)
              throw new AppError('AGENT_AT_CAPACITY', `The agent has no free ${conv.channel} capacity (${load} of ${capacity})`, { channel: conv.channel, load, capacity })
          }
          await cancelOffersOf(trx, actor, conversationId, 'transferred')
          await conversations.assignInTx(trx, actor, conversationId, { assigneeId: to.userId })
          const entry = await repo.findEntry(trx, ws, conversationId, { forUpdate: true })
          if (entry && activeStatuses.includes(conv.status as never))
            await repo.updateEntry(trx, ws, conversationId, { state: 'assigned', assignee_id: to.userId, assigned_at: sql<Date>`now()`, first_assigned_at: entry.first_assigned_at ?? sql<Date>`now()` })
          await insertDecision(trx, actor, { conversationId, queueId: entry?.queue_id ?? null, kind: 'transferred', winnerId: to.userId, reason: note ? `to agent: ${note}` : 'to agent' })
        } else if ('teamId' in to) {
          if (!(await usersRepository.findTeam(trx, ws, to.teamId))) throw new AppError('VALIDATION_FAILED', 'to.teamId is not a team of this workspace', [{ field: 'body.to.teamId', message: 'is not a team of this workspace' }])
          await cancelOffersOf(trx, actor, conversationId, 'transferred')
          await conversations.assignInTx(trx, actor, conversationId, { assigneeId: null, teamId: to.teamId })
          await insertDecision(trx, actor, { conversationId, queueId: null, kind: 'transferred', reason: note ? `to team: ${note}` : 'to team' })
          // The team's first queue takes the case, so someone in the team gets it.
          const queue = (await repo.listQueues(trx, ws)).find((q) => q.team_id === to.teamId)
          if (queue) await engine.enqueueInTx(trx, actor, conversationId, { queueId: queue.id, reason: 'transferred to the team' })
          else if (await repo.findEntry(trx, ws, conversationId)) await repo.updateEntry(trx, ws, conversationId, { state: 'done', assignee_id: null })
        } else {
          await moveToQueueInTx(trx, actor, conversationId, to.queueId, note)
        }
        await engine.emit(trx, actor, conversationId, 'routing.transferred', { to, note, previousAssigneeId: conv.assignee_id })
        await recordAudit(trx, actor, { action: 'conversation.transferred', entityType: 'conversation', entityId: conversationId, changes: { to, note, override: input.override ?? false } })
        // The previous assignee has room now.
        if (freed && freed !== ('userId' in to ? to.userId : null)) await engine.drainInTx(trx, ws, { userId: freed })
      })
    },
  }
}

export type Handover = ReturnType<typeof createHandover>
