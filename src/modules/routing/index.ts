import type { Actor } from '../../platform/auth/actor.ts'
import { authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { Conversation } from '../conversations/index.ts'
import { createAgentsService } from './agents.service.ts'
import { createDecisionsService } from './decisions.service.ts'
import { createHandover } from './handover.service.ts'
import { enqueueNewCases, followCaseChanges, followManualAssignment, freeCapacityOnSolve } from './listeners/conversations.route.ts'
import { createPresenceBoard } from './presence-board.ts'
import { createQueuesService } from './queues.service.ts'
import { type ConversationsPort, createEngine, lockRouting, OFFER_EXPIRE_QUEUE, OVERFLOW_QUEUE } from './routing.engine.ts'
import * as repo from './routing.repository.ts'
import { routingRoutes } from './routing.routes.ts'
import { createSweeper } from './routing.sweeper.ts'

export type { ConversationsPort } from './routing.engine.ts'
export { lockRouting } from './routing.engine.ts'
export { presenceStatuses } from './routing.types.ts'
export type { Queue, Decision, Offer, AgentRouting, PresenceStatus, Strategy } from './routing.types.ts'

export interface RoutingDeps {
  conversations: ConversationsPort & { get(actor: Actor, id: string): Promise<Conversation> }
  /** Users with a live realtime connection on this node (the realtime module's hub). */
  connectedUsers: () => Array<{ workspaceId: string; userId: string }>
}

/**
 * Routing: presence and capacity, ordered queues with strategies, offers for
 * live channels, self-healing drains, transfers, and a record of every
 * decision. Listens to the conversations module's events; assigns through it.
 */
export function createRoutingModule(p: Platform, deps: RoutingDeps) {
  let jobsStarted = false
  const engine = createEngine(p, { conversations: deps.conversations, timers: { started: () => jobsStarted } })
  const agents = createAgentsService(p, engine)
  const queues = createQueuesService(p, engine)
  const handover = createHandover(p, engine, deps.conversations)
  const decisions = createDecisionsService(p)
  const sweeper = createSweeper(p, agents, handover, {
    connectedUsers: deps.connectedUsers,
    graceSeconds: p.config.presenceGraceSeconds,
    intervalMs: Math.max(250, Math.min(5000, (p.config.presenceGraceSeconds * 1000) / 4)),
  })

  const service = {
    agents,
    queues,
    handover,
    decisions,
    /**
     * The SLA module's port: the case's next breach time, copied onto its
     * backlog entry in the SLA transaction (no routing lock: it touches only
     * that entry's sort key, never who holds the case).
     */
    nextBreachChanged: (trx: Tx, workspaceId: string, conversationId: string, at: Date | null) => repo.setNextBreach(trx, workspaceId, conversationId, at),
    /** One sweep now (tests; the sweeper runs by itself after start()). */
    sweep: () => sweeper.sweep(),
    /**
     * Moves a case into a queue and routes it there (unassigning it first);
     * for other modules, e.g. an SLA escalation to the L2 queue. The note is
     * kept with the decision, the event and the audit entry. It opens its own
     * transaction and takes the routing lock first: call it outside any
     * transaction of yours (holding a conversation row while it waits would
     * invert the lock order).
     */
    async moveToQueue(actor: Actor, conversationId: string, queueId: string, note?: string): Promise<void> {
      authorize(actor, 'conversations:write')
      await p.tx(actor, async (trx) => {
        await lockRouting(trx, actor.workspaceId)
        await handover.moveToQueueInTx(trx, actor, conversationId, queueId, note ?? null)
        await engine.emit(trx, actor, conversationId, 'routing.transferred', { to: { queueId }, note: note ?? null })
        await recordAudit(trx, actor, { action: 'conversation.transferred', entityType: 'conversation', entityId: conversationId, changes: { to: { queueId }, note: note ?? null } })
      })
    },
  }

  return {
    service,
    listeners: [enqueueNewCases(engine), freeCapacityOnSolve(engine), followManualAssignment(engine), followCaseChanges(engine)],
    routes: routingRoutes({ agents, queues, handover, decisions, presence: createPresenceBoard(p), getConversation: (actor, id) => deps.conversations.get(actor, id) }),
    /** Starts the offer and overflow timers' workers, and the presence sweeper. */
    async start() {
      await p.jobs.work<{ workspaceId: string; offerId: string }>(OFFER_EXPIRE_QUEUE, (d) => handover.expireOffer(d.workspaceId, d.offerId))
      await p.jobs.work<{ workspaceId: string; conversationId: string; queueId: string }>(OVERFLOW_QUEUE, (d) => handover.overflow(d.workspaceId, d.conversationId, d.queueId))
      jobsStarted = true
      sweeper.start()
    },
    async stop() {
      jobsStarted = false
      await sweeper.stop()
    },
  } satisfies ModuleParts & { stop(): Promise<void> }
}

export type RoutingModule = ReturnType<typeof createRoutingModule>
export type RoutingService = RoutingModule['service']
