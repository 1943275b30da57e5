import { sql } from 'kysely'
import { type Actor, authorize, can } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, forbidden, notFound } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { usersRepository } from '../users/index.ts'
import { type Engine, lockRouting, routingActor } from './routing.engine.ts'
import * as repo from './routing.repository.ts'
import { type AgentRouting, isLive, type PresenceStatus, type Skill, toAgentRouting } from './routing.types.ts'

/**
 * Presence, capacity and skills of agents. A change of presence is also a
 * routing event: coming online drains waiting cases to the agent at once;
 * going away or offline takes back live work not yet started and, where the
 * queue says so, async work; any status but online cancels pending offers.
 */
export function createAgentsService(p: Platform, engine: Engine) {
  /** Agents act on themselves; supervisors and admins on anyone. 404 for users of other workspaces. */
  async function target(trx: Tx, actor: Actor, userId: string): Promise<void> {
    if (userId !== actor.userId && !can(actor, 'teams:write')) throw forbidden('Only supervisors and admins may change another user’s presence or routing')
    const user = await usersRepository.findUser(trx, actor.workspaceId, userId)
    if (!user) throw notFound('User')
    if (user.role === 'auditor') throw new AppError('UNPROCESSABLE', 'Auditors do not handle conversations, so they have no presence or routing profile')
  }

  async function present(trx: Tx, ws: string, userId: string): Promise<AgentRouting> {
    const row = await repo.findAgent(trx, ws, userId)
    const load = (await repo.loadsOf(trx, ws, [userId])).get(userId) ?? {}
    if (row) return toAgentRouting(row, load)
    return { userId, status: 'offline', reason: null, statusChangedAt: new Date(0).toISOString(), lastSeenAt: null, capacity: {}, skills: [], load }
  }

  /** Sets presence inside a transaction that holds the routing lock, and applies what it means for routing. */
  async function setPresenceInTx(trx: Tx, actor: Actor, userId: string, status: PresenceStatus, reason: string | null): Promise<void> {
    const ws = actor.workspaceId
    const before = await repo.ensureAgent(trx, ws, userId)
    const changed = before.status !== status || before.status_reason !== reason
    // Setting one's presence is activity: the grace period for a realtime connection starts now.
    await repo.updateAgent(trx, ws, userId, {
      status,
      status_reason: reason,
      ...(before.status !== status && { status_changed_at: sql<Date>`now()` }),
      ...(actor.userId === userId && { last_seen_at: sql<Date>`now()` }),
    })
    if (!changed) return
    await engine.emit(trx, actor, null, 'agent.presence-changed', { userId, from: before.status, to: status, reason })
    await recordAudit(trx, actor, { action: 'agent.presence-changed', entityType: 'user', entityId: userId, changes: { before: { status: before.status }, after: { status, reason } } })
    if (status === 'online') {
      await engine.drainInTx(trx, ws, { userId })
      return
    }
    const system = routingActor(ws)
    for (const offer of await repo.pendingOffers(trx, ws, { userId })) await engine.settleOfferInTx(trx, system, offer, 'cancelled', `the agent became ${status}`)
    if (status === 'busy') return
    const queues = new Map((await repo.listQueues(trx, ws)).map((q) => [q.id, q]))
    for (const entry of await repo.assignedEntriesOf(trx, ws, userId)) {
      if (isLive(entry.channel)) {
        if (await startedSince(trx, ws, entry.conversation_id, userId, entry.assigned_at)) continue
        if (await engine.takeBackInTx(trx, entry, 'requeued', `live case not started; the agent became ${status}`)) await engine.routeOneInTx(trx, ws, entry.conversation_id, { recordMiss: true })
      } else if (queues.get(entry.queue_id)?.release_on_offline) {
        if (await engine.takeBackInTx(trx, entry, 'released', `the queue releases async cases when the agent is ${status}`)) await engine.routeOneInTx(trx, ws, entry.conversation_id, { recordMiss: true })
      }
    }
  }

  /** Whether the agent has written on the case (reply or note) since it was assigned. */
  async function startedSince(trx: Tx, ws: string, conversationId: string, userId: string, since: Date | null): Promise<boolean> {
    let q = trx.selectFrom('messages').select('id').where('workspace_id', '=', ws).where('conversation_id', '=', conversationId).where('author_type', '=', 'user').where('author_id', '=', userId)
    if (since) q = q.where('created_at', '>=', since)
    return Boolean(await q.limit(1).executeTakeFirst())
  }

  return {
    setPresenceInTx,

    async getRouting(actor: Actor, userId: string): Promise<AgentRouting> {
      authorize(actor, 'users:read')
      return p.tx(actor, async (trx) => {
        const user = await usersRepository.findUser(trx, actor.workspaceId, userId)
        if (!user) throw notFound('User')
        return present(trx, actor.workspaceId, userId)
      })
    },

    async setPresence(actor: Actor, userId: string, input: { status: PresenceStatus; reason?: string | undefined }): Promise<AgentRouting> {
      authorize(actor, 'conversations:write')
      return p.tx(actor, async (trx) => {
        await target(trx, actor, userId)
        await lockRouting(trx, actor.workspaceId)
        await setPresenceInTx(trx, actor, userId, input.status, input.reason ?? null)
        return present(trx, actor.workspaceId, userId)
      })
    },

    async setRouting(actor: Actor, userId: string, input: { capacity: Record<string, number | undefined>; skills: Skill[] }): Promise<AgentRouting> {
      authorize(actor, 'teams:write')
      return p.tx(actor, async (trx) => {
        await target(trx, actor, userId)
        await lockRouting(trx, actor.workspaceId)
        const ws = actor.workspaceId
        const before = await repo.ensureAgent(trx, ws, userId)
        const capacity = Object.fromEntries(Object.entries(input.capacity).filter((e): e is [string, number] => e[1] !== undefined))
        await repo.updateAgent(trx, ws, userId, { capacity: JSON.stringify(capacity), skills: JSON.stringify(input.skills) })
        await recordAudit(trx, actor, {
          action: 'agent.routing-updated',
          entityType: 'user',
          entityId: userId,
          changes: { before: { capacity: before.capacity, skills: before.skills }, after: { capacity, skills: input.skills } },
        })
        // More room or new skills: waiting cases may fit now.
        if (before.status === 'online') await engine.drainInTx(trx, ws, { userId })
        return present(trx, ws, userId)
      })
    },
  }
}

export type AgentsService = ReturnType<typeof createAgentsService>
