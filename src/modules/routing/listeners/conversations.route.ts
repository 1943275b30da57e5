import type { Tx } from '../../../platform/db/tenant.ts'
import type { DatabaseListener, DomainEvent } from '../../../platform/events/events.ts'
import { insertDecision } from '../decisions.repository.ts'
import { type Engine, lockRouting, routingActor } from '../routing.engine.ts'
import * as repo from '../routing.repository.ts'
import { matchesQueue } from '../routing.match.ts'
import type { QueueMatch } from '../routing.types.ts'

/**
 * Routing follows the case's life through the conversations module's events.
 * Each listener takes the routing lock first (the lock order of
 * docs/architecture.md), is safe to run twice (it acts on the current state,
 * not on the event's), and ignores assignments routing made itself.
 */

const byRouting = (e: DomainEvent) => e.actor.type === 'system' && e.actor.label === 'routing'

async function cancelOffers(trx: Tx, ws: string, conversationId: string, reason: string): Promise<void> {
  for (const o of await repo.pendingOffers(trx, ws, { conversationId })) {
    await repo.settleOffer(trx, ws, o.id, 'cancelled')
    await insertDecision(trx, routingActor(ws), { conversationId, queueId: o.queue_id, kind: 'requeued', winnerId: o.user_id, reason: `offer cancelled: ${reason}` })
  }
}

/**
 * A new (or reopened, unassigned) case enters the first queue whose rules
 * match, and is routed at once. One statement without a lock first asks
 * which of the cases are open, unassigned and not in routing in a workspace
 * that has a queue; only when some are does it take the routing lock and ask
 * again under it (the state may have moved while it waited). A workspace
 * without queues pays that one statement per batch of creates.
 */
export function enqueueNewCases(engine: Engine): DatabaseListener {
  async function enqueue(trx: Tx, events: DomainEvent[]): Promise<void> {
    const reasons = new Map<string, string>()
    for (const e of events) if (e.conversationId && !reasons.has(e.conversationId)) reasons.set(e.conversationId, e.type === 'conversation.created' ? 'new case' : 'reopened')
    const ws = events[0]?.workspaceId
    if (!ws || reasons.size === 0) return
    const candidates = await repo.unroutedCases(trx, ws, [...reasons.keys()])
    if (candidates.length === 0) return
    await lockRouting(trx, ws)
    const still = new Set(await repo.unroutedCases(trx, ws, candidates))
    for (const [id, reason] of reasons) if (still.has(id)) await engine.enqueueInTx(trx, routingActor(ws), id, { reason })
  }
  return {
    id: 'routing.enqueue-new-cases',
    locksFirst: true,
    types: ['conversation.created', 'conversation.reopened'],
    handle: (event, trx) => enqueue(trx, [event]),
    handleMany: (events, trx) => enqueue(trx, events),
  }
}

/** A solved or closed case leaves routing, and its agent's freed capacity drains the backlog. */
export function freeCapacityOnSolve(engine: Engine): DatabaseListener {
  return {
    id: 'routing.free-capacity-on-solve',
    locksFirst: true,
    types: ['conversation.status-changed'],
    async handle(event, trx) {
      const to = event.payload.to
      if (!event.conversationId || (to !== 'solved' && to !== 'closed')) return
      const ws = event.workspaceId
      // No entry to close and no online agent whose freed capacity could place anything: no lock.
      if (!(await repo.solveHasWork(trx, ws, event.conversationId))) return
      await lockRouting(trx, ws)
      const c = await trx.selectFrom('conversations').select(['assignee_id', 'status']).where('workspace_id', '=', ws).where('id', '=', event.conversationId).executeTakeFirst()
      if (!c || (c.status !== 'solved' && c.status !== 'closed')) return
      const entry = await repo.findEntry(trx, ws, event.conversationId, { forUpdate: true })
      if (entry && entry.state !== 'done') {
        await cancelOffers(trx, ws, event.conversationId, `the case was ${c.status}`)
        await repo.updateEntry(trx, ws, event.conversationId, { state: 'done' })
      }
      if (c.assignee_id) await engine.drainInTx(trx, ws, { userId: c.assignee_id })
    },
  }
}

/**
 * A manual assignment takes a waiting case out of routing; a manual
 * unassignment puts a routed case back; whoever lost a case has room for
 * the next one.
 */
export function followManualAssignment(engine: Engine): DatabaseListener {
  return {
    id: 'routing.follow-manual-assignment',
    locksFirst: true,
    types: ['conversation.assigned'],
    async handle(event, trx) {
      if (!event.conversationId || byRouting(event)) return
      const ws = event.workspaceId
      const id = event.conversationId
      await lockRouting(trx, ws)
      const c = await trx.selectFrom('conversations').select(['assignee_id', 'status']).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst()
      if (!c) return
      const entry = await repo.findEntry(trx, ws, id, { forUpdate: true })
      const active = ['open', 'pending', 'on_hold'].includes(c.status)
      if (entry && c.assignee_id && (entry.state === 'waiting' || entry.state === 'offered')) {
        await cancelOffers(trx, ws, id, 'assigned by hand')
        await repo.updateEntry(trx, ws, id, { state: 'assigned', assignee_id: c.assignee_id })
      } else if (entry && !c.assignee_id && entry.state === 'assigned' && active) {
        await repo.updateEntry(trx, ws, id, { state: 'waiting', assignee_id: null, assigned_at: null })
        await engine.routeOneInTx(trx, ws, id, { recordMiss: true })
      }
      const previous = event.payload.previousAssigneeId
      if (typeof previous === 'string' && previous !== c.assignee_id) await engine.drainInTx(trx, ws, { userId: previous })
    },
  }
}

/** The case attributes queue entry rules read: a change re-matches a waiting case. */
const matchedFields = ['priority', 'categoryId', 'tags', 'customFields']

/**
 * A waiting case whose attributes changed: its priority copy is kept in step
 * (its place in the backlog's order), and, unless a person or a rule put it
 * in its queue by name, it is matched against the queues' entry rules again
 * and moves to the first queue that now takes it (keeping the time it has
 * waited). A case no queue takes any more stays where it is. A change of
 * inbox shows as `conversation.channel-switched`; contact attributes are not
 * followed (they change on another entity).
 */
export function followCaseChanges(engine: Engine): DatabaseListener {
  return {
    id: 'routing.follow-priority',
    locksFirst: true,
    types: ['conversation.updated', 'conversation.channel-switched'],
    async handle(event, trx) {
      const id = event.conversationId
      if (!id) return
      const fields = Array.isArray(event.payload.fields) ? (event.payload.fields as string[]) : ['inboxId']
      const relevant = fields.filter((f) => matchedFields.includes(f) || f === 'inboxId')
      if (!relevant.length) return
      const ws = event.workspaceId
      await lockRouting(trx, ws)
      if (fields.includes('priority')) await repo.syncPriority(trx, ws, id)
      const entry = await repo.findEntry(trx, ws, id, { forUpdate: true })
      if (!entry || entry.state !== 'waiting' || entry.queue_pinned) return
      const kase = await repo.routableCase(trx, ws, id)
      if (!kase || kase.conversation.assignee_id) return
      const target = (await repo.listQueues(trx, ws)).find((q) => matchesQueue(q.match as QueueMatch, kase))
      if (!target || target.id === entry.queue_id) return
      await engine.enqueueInTx(trx, routingActor(ws), id, { queueId: target.id, rematch: true, kind: 'moved', reason: `re-matched: ${relevant.join(', ')} changed` })
    },
  }
}
