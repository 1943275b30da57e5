import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { RowUpdate } from '../../platform/db/schema.ts'
import { AppError, conflict, isUniqueViolation, notFound } from '../../platform/errors.ts'
import { page } from '../../platform/http/cursor.ts'
import type { Platform } from '../../platform/platform.ts'
import { usersRepository } from '../users/index.ts'
import { abReport, type ArmRow } from './decisions.repository.ts'
import { type Engine, lockRouting } from './routing.engine.ts'
import * as repo from './routing.repository.ts'
import { type Queue, type QueueInput, toQueue } from './routing.types.ts'

const invalid = (field: string, message: string) => new AppError('VALIDATION_FAILED', `${field} ${message}`, [{ field, message }])

/** Queues: ordered entry rules and a strategy each; the first queue whose rules match a new case takes it. */
export function createQueuesService(p: Platform, engine: Engine) {
  async function check(trx: Tx, ws: string, input: QueueInput, selfId: string | null): Promise<void> {
    if (input.teamId && !(await usersRepository.findTeam(trx, ws, input.teamId))) throw invalid('body.teamId', 'is not a team of this workspace')
    const target = input.overflow?.queueId
    if (target && (target === selfId || !(await repo.findQueue(trx, ws, target)))) throw invalid('body.overflow.queueId', 'is not another queue of this workspace')
  }

  function columns(input: QueueInput): RowUpdate<'routing_queues'> {
    const set: RowUpdate<'routing_queues'> = {}
    if (input.name !== undefined) set.name = input.name
    if (input.strategy !== undefined) set.strategy = input.strategy
    if (input.match !== undefined) set.match = JSON.stringify(input.match)
    if (input.teamId !== undefined) set.team_id = input.teamId
    if (input.requiredSkills !== undefined) set.required_skills = JSON.stringify(input.requiredSkills)
    if (input.preferredSkills !== undefined) set.preferred_skills = JSON.stringify(input.preferredSkills)
    if (input.stickyMinutes !== undefined) set.sticky_minutes = input.stickyMinutes
    if (input.fallbackStrategy !== undefined) set.fallback_strategy = input.fallbackStrategy
    if (input.offerTimeoutSeconds !== undefined) set.offer_timeout_seconds = input.offerTimeoutSeconds
    if (input.overflow !== undefined) set.overflow = input.overflow === null ? null : JSON.stringify(input.overflow)
    if (input.releaseOnOffline !== undefined) set.release_on_offline = input.releaseOnOffline
    if (input.abTest !== undefined) set.ab_test = input.abTest === null ? null : JSON.stringify(input.abTest)
    return set
  }

  /** Places `id` at `position` (or keeps its place) and renumbers 0..n-1. */
  async function reorder(trx: Tx, ws: string, id: string, position: number | undefined): Promise<void> {
    const ids = (await repo.listQueues(trx, ws)).map((q) => q.id).filter((q) => q !== id)
    const at = position === undefined ? ids.length : Math.min(position, ids.length)
    ids.splice(at, 0, id)
    await repo.renumberQueues(trx, ws, ids)
  }

  const nameTaken = (err: unknown) => (isUniqueViolation(err) ? conflict('A queue with this name already exists') : err)

  async function present(trx: Tx, ws: string, id: string): Promise<Queue> {
    const row = await repo.findQueue(trx, ws, id)
    if (!row) throw notFound('Queue')
    return toQueue(row, (await repo.waitingCounts(trx, ws)).get(id) ?? 0)
  }

  return {
    async list(actor: Actor, q: { limit: number; cursor?: string | undefined }): Promise<{ items: Queue[]; nextCursor: string | null }> {
      authorize(actor, 'teams:read')
      const after = p.cursors.decode(q.cursor, 2)
      return p.tx(actor, async (trx) => {
        const counts = await repo.waitingCounts(trx, actor.workspaceId)
        const { items, nextCursor } = page(await repo.pageQueues(trx, actor.workspaceId, { limit: q.limit, after }), q.limit, (r) => p.cursors.encode([r.position, r.id]))
        return { items: items.map((r) => toQueue(r, counts.get(r.id) ?? 0)), nextCursor }
      })
    },

    async get(actor: Actor, id: string): Promise<Queue> {
      authorize(actor, 'teams:read')
      return p.tx(actor, (trx) => present(trx, actor.workspaceId, id))
    },

    async create(actor: Actor, input: QueueInput & { name: string; strategy: string }): Promise<Queue> {
      authorize(actor, 'teams:write')
      const ws = actor.workspaceId
      return p
        .tx(actor, async (trx) => {
          await lockRouting(trx, ws)
          await check(trx, ws, input, null)
          const row = await repo.insertQueue(trx, { workspace_id: ws, name: input.name, strategy: input.strategy, position: 1_000_000, match: '{}', required_skills: '[]', preferred_skills: '[]', ...columns(input) })
          await reorder(trx, ws, row.id, input.position)
          await recordAudit(trx, actor, { action: 'queue.created', entityType: 'queue', entityId: row.id, changes: { after: input } })
          return present(trx, ws, row.id)
        })
        .catch((err: unknown) => Promise.reject(nameTaken(err)))
    },

    async update(actor: Actor, id: string, input: QueueInput): Promise<Queue> {
      authorize(actor, 'teams:write')
      const ws = actor.workspaceId
      return p
        .tx(actor, async (trx) => {
          await lockRouting(trx, ws)
          const before = await repo.findQueue(trx, ws, id)
          if (!before) throw notFound('Queue')
          await check(trx, ws, input, id)
          const set = columns(input)
          if (Object.keys(set).length) await repo.updateQueue(trx, ws, id, set)
          if (input.position !== undefined) await reorder(trx, ws, id, input.position)
          await recordAudit(trx, actor, { action: 'queue.updated', entityType: 'queue', entityId: id, changes: { after: input } })
          // Wider rules, another team or strategy: cases waiting may be placeable now.
          await engine.drainInTx(trx, ws)
          return present(trx, ws, id)
        })
        .catch((err: unknown) => Promise.reject(nameTaken(err)))
    },

    async remove(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'teams:write')
      const ws = actor.workspaceId
      await p.tx(actor, async (trx) => {
        await lockRouting(trx, ws)
        if (!(await repo.findQueue(trx, ws, id))) throw notFound('Queue')
        const waiting = await trx
          .selectFrom('routing_entries')
          .select('conversation_id')
          .where('workspace_id', '=', ws)
          .where('queue_id', '=', id)
          .where('state', 'in', ['waiting', 'offered'])
          .limit(1)
          .executeTakeFirst()
        if (waiting) throw new AppError('QUEUE_NOT_EMPTY', 'Cases are waiting in this queue: transfer them or let them drain first')
        const referrers = (await repo.listQueues(trx, ws)).filter((q) => (q.overflow as { queueId?: string } | null)?.queueId === id)
        if (referrers.length) throw conflict(`Queue ${referrers.map((q) => q.name).join(', ')} overflows into this queue`, { queueIds: referrers.map((q) => q.id) })
        await repo.deleteQueue(trx, ws, id)
        await repo.renumberQueues(trx, ws, (await repo.listQueues(trx, ws)).map((q) => q.id))
        await recordAudit(trx, actor, { action: 'queue.deleted', entityType: 'queue', entityId: id })
      })
    },

    async abReport(actor: Actor, id: string) {
      authorize(actor, 'teams:read')
      return p.tx(actor, async (trx) => {
        const queue = await repo.findQueue(trx, actor.workspaceId, id)
        if (!queue) throw notFound('Queue')
        const rows = await abReport(trx, actor.workspaceId, id)
        const ab = queue.ab_test as { strategyB: string; percentB: number } | null
        const arm = (name: 'A' | 'B', strategy: string) => {
          const r: ArmRow | undefined = rows.find((x) => x.arm === name)
          const pair = (mean: number | null | undefined, median: number | null | undefined) => ({ mean: mean ?? null, median: median ?? null })
          return {
            strategy,
            cases: r?.cases ?? 0,
            assigned: r?.assigned ?? 0,
            timeToAssignSeconds: pair(r?.assign_mean, r?.assign_median),
            firstResponseSeconds: pair(r?.first_response_mean, r?.first_response_median),
            resolved: r?.resolved ?? 0,
            resolutionRate: r && r.cases > 0 ? r.resolved / r.cases : null,
            resolutionSeconds: pair(r?.resolution_mean, r?.resolution_median),
          }
        }
        return { queueId: id, abTest: ab as never, arms: { A: arm('A', queue.strategy), B: arm('B', ab?.strategyB ?? queue.strategy) } }
      })
    },
  }
}

export type QueuesService = ReturnType<typeof createQueuesService>
