import type { z } from 'zod'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, conflict, isUniqueViolation, notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import { CONFIG_CHANGED } from './calendars.service.ts'
import { type Clocks, presentEvaluation } from './clocks.service.ts'
import { checkNamedUsers } from './escalation-recipients.ts'
import { matches } from './policy-match.ts'
import type { SlaClock } from './sla.clock.ts'
import { page } from '../../platform/http/cursor.ts'
import { pagePolicies } from './lists.repository.ts'
import * as repo from './sla.repository.ts'
import type { Policy, PolicyInput, PolicyPatch, simulateBody, simulateHistoryBody } from './sla.types.ts'

const isForeignKeyViolation = (err: unknown) => (err as { code?: string })?.code === '23503'
const badCalendar = () => new AppError('VALIDATION_FAILED', 'body.calendarId is not a business calendar of this workspace', [{ field: 'body.calendarId', message: 'is not a business calendar of this workspace' }])

/** Most cases a "what if" over history evaluates. */
const HISTORY_LIMIT = 5000

/** SLA policies (ordered; the first active match wins), their simulation and "what if" over history. */
export function createPolicies(p: Platform, deps: { clocks: Clocks; clock: SlaClock }) {
  async function checkCalendar(trx: Tx, ws: string, calendarId: string | null | undefined) {
    if (calendarId && !(await repo.findCalendar(trx, ws, calendarId))) throw badCalendar()
  }
  const translate = (err: unknown, name: string | undefined) => {
    if (isUniqueViolation(err)) return conflict(`An SLA policy named "${name}" already exists`, { field: 'body.name' })
    if (isForeignKeyViolation(err)) return badCalendar()
    return err
  }
  const changed = (trx: Tx, actor: Actor, reason: string, policyId: string) => appendEvent(trx, actor, { type: CONFIG_CHANGED, payload: { reason, policyId } })

  return {
    async create(actor: Actor, input: PolicyInput): Promise<Policy> {
      authorize(actor, 'workspace:write')
      try {
        return await p.tx(actor, async (trx) => {
          const ws = actor.workspaceId
          await checkCalendar(trx, ws, input.calendarId)
          await checkNamedUsers(trx, ws, input.escalations)
          const position = input.position ?? (await repo.nextPolicyPosition(trx, ws))
          const policy = await repo.insertPolicy(trx, ws, { ...input, calendarId: input.calendarId ?? null, position })
          await recordAudit(trx, actor, { action: 'sla-policy.created', entityType: 'sla_policy', entityId: policy.id, changes: { after: policy } })
          await changed(trx, actor, 'policy-created', policy.id)
          return policy
        })
      } catch (err) {
        throw translate(err, input.name)
      }
    },

    async list(actor: Actor, q: { limit: number; cursor?: string | undefined }): Promise<{ items: Policy[]; nextCursor: string | null }> {
      authorize(actor, 'workspace:read')
      const after = p.cursors.decode(q.cursor, 3)
      const rows = await p.tx(actor, (trx) => pagePolicies(trx, actor.workspaceId, { limit: q.limit, after }))
      const { items, nextCursor } = page(rows, q.limit, (r) => p.cursors.encode(r.cursorKey))
      return { items: items.map(({ cursorKey: _key, ...policy }) => policy), nextCursor }
    },

    async get(actor: Actor, id: string): Promise<Policy> {
      authorize(actor, 'workspace:read')
      const policy = await p.tx(actor, (trx) => repo.findPolicy(trx, actor.workspaceId, id))
      if (!policy) throw notFound('SLA policy')
      return policy
    },

    /** Any change re-evaluates the workspace's open cases (a case may now match another policy, or none). */
    async update(actor: Actor, id: string, patch: PolicyPatch): Promise<Policy> {
      authorize(actor, 'workspace:write')
      try {
        return await p.tx(actor, async (trx) => {
          const ws = actor.workspaceId
          const before = await repo.findPolicy(trx, ws, id, { forUpdate: true })
          if (!before) throw notFound('SLA policy')
          if (patch.calendarId !== undefined) await checkCalendar(trx, ws, patch.calendarId)
          await checkNamedUsers(trx, ws, patch.escalations)
          const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
          const after = await repo.updatePolicy(trx, ws, id, { ...before, ...defined } as repo.PolicyValues)
          await recordAudit(trx, actor, { action: 'sla-policy.updated', entityType: 'sla_policy', entityId: id, changes: { before, after } })
          await changed(trx, actor, 'policy-updated', id)
          return after
        })
      } catch (err) {
        throw translate(err, patch.name)
      }
    },

    async delete(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'workspace:write')
      await p.tx(actor, async (trx) => {
        const before = await repo.findPolicy(trx, actor.workspaceId, id, { forUpdate: true })
        if (!before) throw notFound('SLA policy')
        await repo.deletePolicy(trx, actor.workspaceId, id)
        await recordAudit(trx, actor, { action: 'sla-policy.deleted', entityType: 'sla_policy', entityId: id, changes: { before } })
        await changed(trx, actor, 'policy-deleted', id)
      })
    },

    /** A case that never existed, run through the policy: due times, breaches, explanation. Touches nothing. */
    async simulate(actor: Actor, id: string, body: z.output<typeof simulateBody>) {
      authorize(actor, 'conversations:read')
      const ws = actor.workspaceId
      return p.tx(actor, async (trx) => {
        const policy = await repo.findPolicy(trx, ws, id)
        if (!policy) throw notFound('SLA policy')
        const received = new Date(body.receivedAt)
        const facts: repo.StoredFact[] = [{ eventId: 'received', at: received.toISOString(), type: 'received' }]
        body.events.forEach((e, i) => facts.push({ eventId: `e${i}`, at: new Date(e.at).toISOString(), type: e.type, ...(e.status && { status: e.status }) }))
        const latest = Math.max(deps.clock.now().getTime(), received.getTime(), ...facts.map((f) => Date.parse(f.at)))
        const until = body.until ? new Date(body.until) : new Date(latest)
        const ev = await deps.clocks.run(trx, ws, policy, facts, until)
        return { policyId: policy.id, evaluatedAt: until.toISOString(), ...presentEvaluation(ev) }
      })
    },

    /** "What if": the last `days` days' cases that a draft policy would take, and how many it would have breached. */
    async simulateHistory(actor: Actor, body: z.output<typeof simulateHistoryBody>) {
      authorize(actor, 'conversations:read')
      const ws = actor.workspaceId
      return p.tx(actor, async (trx) => {
        const draft = { ...body.policy, calendarId: body.policy.calendarId ?? null }
        await checkCalendar(trx, ws, draft.calendarId)
        const now = deps.clock.now()
        const rows = await repo.conversationsSince(trx, ws, new Date(now.getTime() - body.days * 86_400_000), HISTORY_LIMIT + 1)
        const truncated = rows.length > HISTORY_LIMIT
        const sample = rows.slice(0, HISTORY_LIMIT)
        const byClock = { first_response: 0, next_response: 0, resolution: 0 }
        const breachedIds: string[] = []
        let cases = 0
        for (let i = 0; i < sample.length; i += 200) {
          const batch = sample.slice(i, i + 200)
          const ids = batch.map((r) => r.id)
          const [facts, tags] = await Promise.all([repo.historyFacts(trx, ws, ids), repo.tagsOfMany(trx, ws, ids)])
          for (const r of batch) {
            if (!matches(draft.match, { priority: r.priority, channel: r.channel, inboxId: r.inbox_id, categoryId: r.category_id, tags: tags.get(r.id) ?? [] })) continue
            cases++
            const ev = await deps.clocks.run(trx, ws, draft, facts.get(r.id) ?? [], now)
            if (!ev.breaches.length) continue
            breachedIds.push(r.id)
            for (const c of new Set(ev.breaches.map((b) => b.clock))) byClock[c]++
          }
        }
        return { days: body.days, considered: sample.length, cases, breachedCases: breachedIds.length, byClock, breachedConversationIds: breachedIds.slice(0, 100), truncated }
      })
    },
  }
}
export type Policies = ReturnType<typeof createPolicies>
