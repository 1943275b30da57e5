import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { type Actor, systemActor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import { insertDecision } from './decisions.repository.ts'
import * as repo from './routing.repository.ts'
import { matchesQueue } from './routing.match.ts'
import { abArm, decide, freeCapacity } from './routing.strategies.ts'
import { type DecisionKind, type FallbackStrategy, isLive, priorityRank, type QueueMatch, type Strategy, strategyVersions } from './routing.types.ts'

/** What routing needs of the conversations module: assignment with its events and audit, inside our transaction. */
export interface ConversationsPort {
  assignInTx(trx: Tx, actor: Actor, conversationId: string, to: { assigneeId?: string | null; teamId?: string | null }): Promise<Row<'conversations'>>
}

export const OFFER_EXPIRE_QUEUE = 'routing.offer-expire'
export const OVERFLOW_QUEUE = 'routing.overflow'

export const routingActor = (ws: string): Actor => systemActor(ws, 'routing')

/** Candidates kept per decision: the best eligible ones and the first ineligible ones. */
const MAX_SHOWN = 25

/**
 * The one lock of the routing step: a transaction-scoped advisory lock per
 * workspace. Every path that hands out or takes back work (routing a case,
 * presence changes, offers, transfers) takes it FIRST, before any
 * conversation row lock, so routing transactions queue behind each other
 * instead of deadlocking, and no two of them count an agent's load at once.
 * See docs/architecture.md, Lock order.
 */
export async function lockRouting(trx: Tx, ws: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`omnidesk:routing:${ws}`}, 0))`.execute(trx)
}

export type RouteResult = 'assigned' | 'offered' | 'waiting' | 'skipped'

export function createEngine(p: Platform, deps: { conversations: ConversationsPort; timers: { started: () => boolean } }) {
  const emit = (trx: Tx, actor: Actor, conversationId: string | null, type: string, payload: Record<string, unknown>) =>
    appendEvent(trx, actor, { type, conversationId, payload })

  async function schedule(trx: Tx, queue: string, data: object, seconds: number): Promise<void> {
    // Without the job queue (a CLI run, a test that did not start it) the sweeper catches the deadline instead.
    if (!deps.timers.started()) return
    await p.jobs.sendInTx(trx, queue, data, { startAfterSeconds: Math.max(1, Math.ceil(seconds)), retryLimit: 5 })
  }

  function effectiveStrategy(queue: Row<'routing_queues'>, entry: Row<'routing_entries'>): Strategy {
    const ab = queue.ab_test as { strategyB: Strategy } | null
    return ab && entry.ab_queue_id === queue.id && entry.arm === 'B' ? ab.strategyB : (queue.strategy as Strategy)
  }

  /** Puts a case into a queue (the first whose rules match, or the one given) and routes it. Caller holds the routing lock. */
  /**
   * `queueId`: put in that queue by name (pinned: attribute changes do not re-match it), unless `rematch`,
   * which also keeps the time the case has waited so far.
   */
  async function enqueueInTx(trx: Tx, actor: Actor, conversationId: string, opts: { queueId?: string; reason: string; kind?: DecisionKind; rematch?: boolean }): Promise<RouteResult> {
    const ws = actor.workspaceId
    const kase = await repo.routableCase(trx, ws, conversationId)
    if (!kase || ['solved', 'closed'].includes(kase.conversation.status)) return 'skipped'
    let queue: Row<'routing_queues'> | undefined
    if (opts.queueId) queue = await repo.findQueue(trx, ws, opts.queueId)
    else queue = (await repo.listQueues(trx, ws)).find((q) => matchesQueue(q.match as QueueMatch, kase))
    if (!queue) return 'skipped'
    const existing = await repo.findEntry(trx, ws, conversationId, { forUpdate: true })
    const ab = queue.ab_test as { percentB: number } | null
    const arm = ab && !existing?.ab_queue_id ? { arm: abArm(queue.id, conversationId, ab.percentB), ab_queue_id: queue.id } : {}
    const fresh = {
      queue_id: queue.id,
      queue_pinned: Boolean(opts.queueId) && !opts.rematch,
      state: 'waiting',
      skill_level_drop: 0,
      priority_rank: priorityRank[kase.conversation.priority] ?? 2,
      next_breach_at: repo.currentNextBreach(ws, conversationId),
      entered_queue_at: sql<Date>`now()`,
      ...(!(opts.rematch && existing) && { waiting_since: sql<Date>`now()` }),
      assignee_id: null,
      assigned_at: null,
      ...arm,
    }
    const entry = existing ? await repo.updateEntry(trx, ws, conversationId, fresh) : await repo.insertEntry(trx, { workspace_id: ws, conversation_id: conversationId, ...fresh })
    const overflow = queue.overflow as { afterMinutes: number } | null
    if (overflow) await schedule(trx, OVERFLOW_QUEUE, { workspaceId: ws, conversationId, queueId: queue.id }, overflow.afterMinutes * 60)
    await emit(trx, actor, conversationId, 'routing.queued', { queueId: queue.id, queueName: queue.name, reason: opts.reason })
    if (opts.kind) await insertDecision(trx, actor, { conversationId, queueId: queue.id, kind: opts.kind, reason: opts.reason })
    // The entry row is ours (just written), the case and the queue were read under the routing lock.
    return routeOneInTx(trx, ws, conversationId, { recordMiss: true, known: { entry, conversation: kase.conversation, queue } })
  }

  /**
   * Decides who gets one waiting case and hands it over: assigned directly on
   * async channels, offered on live ones. Caller holds the routing lock.
   * `known`: the entry (locked), the case and its queue, as the caller has
   * just read or written them in this transaction.
   */
  async function routeOneInTx(
    trx: Tx,
    ws: string,
    conversationId: string,
    opts: { recordMiss?: boolean; known?: { entry: Row<'routing_entries'>; conversation: Row<'conversations'>; queue: Row<'routing_queues'> } } = {},
  ): Promise<RouteResult> {
    const started = performance.now()
    const entry = opts.known?.entry ?? (await repo.findEntry(trx, ws, conversationId, { forUpdate: true }))
    if (!entry || entry.state !== 'waiting') return 'skipped'
    const conv = opts.known?.conversation ?? (await trx.selectFrom('conversations').selectAll().where('workspace_id', '=', ws).where('id', '=', conversationId).executeTakeFirst())
    const queue = opts.known?.queue ?? (await repo.findQueue(trx, ws, entry.queue_id))
    if (!conv || !queue || ['solved', 'closed'].includes(conv.status) || conv.assignee_id) {
      await repo.updateEntry(trx, ws, conversationId, { state: conv?.assignee_id ? 'assigned' : 'done', assignee_id: conv?.assignee_id ?? null })
      return 'skipped'
    }
    const strategy = effectiveStrategy(queue, entry)
    // Only offers are declined or expire: async cases have no one to leave out.
    const refused = isLive(conv.channel) ? await repo.refusedBy(trx, ws, conversationId, entry.waiting_since) : []
    const agents = await repo.candidates(trx, ws, { channel: conv.channel, teamId: queue.team_id, exclude: refused })
    const sticky = strategy === 'sticky' ? await repo.lastAgentOfContact(trx, ws, conv.contact_id, conv.id, queue.sticky_minutes ?? 60 * 24) : null
    const outcome = decide({ channel: conv.channel, stickyAgentId: sticky }, agents, {
      strategy,
      fallbackStrategy: queue.fallback_strategy as FallbackStrategy | null,
      requiredSkills: queue.required_skills,
      preferredSkills: queue.preferred_skills,
      skillLevelDrop: entry.skill_level_drop,
    })
    const actor = routingActor(ws)
    // A thousand agents would make every decision row a thousand entries long: keep the head of each list.
    const shown = [...outcome.candidates.filter((c) => c.eligible).slice(0, MAX_SHOWN), ...outcome.candidates.filter((c) => !c.eligible).slice(0, MAX_SHOWN)]
    const record = (kind: DecisionKind) =>
      insertDecision(trx, actor, {
        conversationId,
        queueId: queue.id,
        kind,
        strategy: outcome.decidedBy,
        strategyVersion: strategyVersions[outcome.decidedBy],
        arm: entry.ab_queue_id === queue.id ? entry.arm : null,
        candidates: shown,
        winnerId: outcome.winnerId,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        reason: [
          outcome.reason,
          refused.length && `not offered again to ${refused.length} agent(s) who declined or let it expire`,
          shown.length < outcome.candidates.length && `${outcome.candidates.length} candidates, the best ${MAX_SHOWN} eligible and ${MAX_SHOWN} ineligible kept`,
        ]
          .filter(Boolean)
          .join('; '),
      })
    if (!outcome.winnerId) {
      if (opts.recordMiss) await record('no_candidate')
      return 'waiting'
    }
    const winner = outcome.winnerId
    if (isLive(conv.channel)) {
      const offer = await repo.insertOffer(trx, {
        workspace_id: ws,
        conversation_id: conversationId,
        user_id: winner,
        queue_id: queue.id,
        channel: conv.channel,
        expires_at: sql<Date>`now() + make_interval(secs => ${queue.offer_timeout_seconds})`,
      })
      await repo.updateEntry(trx, ws, conversationId, { state: 'offered' })
      await record('offered')
      await emit(trx, actor, conversationId, 'routing.offered', { offerId: offer.id, userId: winner, queueId: queue.id, expiresAt: offer.expires_at.toISOString() })
      await schedule(trx, OFFER_EXPIRE_QUEUE, { workspaceId: ws, offerId: offer.id }, queue.offer_timeout_seconds)
      return 'offered'
    }
    await assignInTx(trx, actor, entry, winner, queue.team_id)
    await record('assigned')
    return 'assigned'
  }

  /** Hands a case to an agent: the conversation's assignment (events, audit) and the entry's state. */
  async function assignInTx(trx: Tx, actor: Actor, entry: Row<'routing_entries'>, userId: string, teamId: string | null): Promise<void> {
    const ws = actor.workspaceId
    await deps.conversations.assignInTx(trx, actor, entry.conversation_id, { assigneeId: userId, ...(teamId && { teamId }) })
    await repo.updateEntry(trx, ws, entry.conversation_id, {
      state: 'assigned',
      assignee_id: userId,
      assigned_at: sql<Date>`now()`,
      first_assigned_at: entry.first_assigned_at ?? sql<Date>`now()`,
    })
    await repo.updateAgent(trx, ws, userId, { last_assigned_at: sql<Date>`now()` })
  }

  /**
   * Serves waiting cases in order until no more can be placed: after an agent
   * comes online or frees capacity (`userId`: only channels where that agent
   * has room), or after queues change. Caller holds the routing lock.
   * Scans at most `maxScan` waiting cases that could not be placed.
   */
  async function drainInTx(trx: Tx, ws: string, opts: { userId?: string; maxScan?: number } = {}): Promise<number> {
    let placed = 0
    let skipped = 0
    const maxScan = opts.maxScan ?? 500
    // Nobody online: nothing can be placed, so do not scan the backlog case by case.
    if (!opts.userId && !(await trx.selectFrom('agent_routing').select('user_id').where('workspace_id', '=', ws).where('status', '=', 'online').limit(1).executeTakeFirst())) return 0
    for (;;) {
      let channels: string[] | undefined
      if (opts.userId) {
        const agent = await repo.findAgent(trx, ws, opts.userId)
        if (!agent || agent.status !== 'online') break
        const load = (await repo.loadsOf(trx, ws, [opts.userId])).get(opts.userId) ?? {}
        channels = Object.keys(agent.capacity).filter((c) => freeCapacity({ userId: agent.user_id, capacity: agent.capacity, skills: [], load, lastAssignedAt: null }, c) > 0)
        if (channels.length === 0) break
      }
      const batch = await waitingAfter(trx, ws, channels, skipped)
      if (batch.length === 0) break
      let progress = false
      for (const id of batch) {
        const r = await routeOneInTx(trx, ws, id)
        if (r === 'assigned' || r === 'offered') {
          placed++
          progress = true
          if (opts.userId) break // recompute the agent's free channels
        } else if (r === 'waiting') skipped++
      }
      if (!progress && skipped >= maxScan) break
      if (!progress && batch.length < 25) break
    }
    return placed
  }

  const waitingAfter = async (trx: Tx, ws: string, channels: string[] | undefined, offset: number) => {
    const ids = await repo.waitingCases(trx, ws, { ...(channels && { channels }), limit: offset + 25 })
    return ids.slice(offset)
  }

  /**
   * Takes a case back from an agent and puts it in front of routing again:
   * `requeued` (live work not started), `released` (async work, per queue).
   * The conversations module may refuse (required fields for a transfer): the
   * case then stays with the agent and the refusal is recorded.
   */
  async function takeBackInTx(trx: Tx, entry: Row<'routing_entries'>, kind: 'requeued' | 'released', reason: string): Promise<boolean> {
    const actor = routingActor(entry.workspace_id)
    try {
      await deps.conversations.assignInTx(trx, actor, entry.conversation_id, { assigneeId: null })
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'REQUIRED_FIELDS_MISSING') throw err
      await insertDecision(trx, actor, { conversationId: entry.conversation_id, queueId: entry.queue_id, kind, winnerId: entry.assignee_id, reason: `not taken back: ${err.message}` })
      return false
    }
    await repo.updateEntry(trx, entry.workspace_id, entry.conversation_id, { state: 'waiting', assignee_id: null, assigned_at: null })
    await insertDecision(trx, actor, { conversationId: entry.conversation_id, queueId: entry.queue_id, kind, reason })
    await emit(trx, actor, entry.conversation_id, 'routing.queued', { queueId: entry.queue_id, reason })
    return true
  }

  /** Ends a pending offer (declined, expired, cancelled) and routes the case again. */
  async function settleOfferInTx(trx: Tx, actor: Actor, offer: Row<'routing_offers'>, state: 'declined' | 'expired' | 'cancelled', reason: string): Promise<void> {
    const ws = offer.workspace_id
    await repo.settleOffer(trx, ws, offer.id, state)
    const entry = await repo.findEntry(trx, ws, offer.conversation_id, { forUpdate: true })
    const kind: DecisionKind = state === 'declined' ? 'offer_declined' : state === 'expired' ? 'offer_expired' : 'requeued'
    await insertDecision(trx, actor, { conversationId: offer.conversation_id, queueId: offer.queue_id, kind, winnerId: offer.user_id, reason })
    await emit(trx, actor, offer.conversation_id, `routing.offer-${state}`, { offerId: offer.id, userId: offer.user_id })
    if (entry?.state === 'offered') {
      await repo.updateEntry(trx, ws, offer.conversation_id, { state: 'waiting' })
      await routeOneInTx(trx, ws, offer.conversation_id, { recordMiss: true })
    }
  }

  return { enqueueInTx, routeOneInTx, drainInTx, assignInTx, takeBackInTx, settleOfferInTx, emit }
}

export type Engine = ReturnType<typeof createEngine>
