import { createHash, randomUUID } from 'node:crypto'
import { type Actor, authorize, systemActor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { notFound } from '../../platform/errors.ts'
import { appendEvent } from '../../platform/events/events.ts'
import type { Platform } from '../../platform/platform.ts'
import { compileCalendar, elapsedTime, type TimeCounter } from './calendar.ts'
import { type Evaluation, evaluate, type ExplanationEntry } from './clock-engine.ts'
import { recipientsOf } from './escalation-recipients.ts'
import { firstMatch } from './policy-match.ts'
import type { SlaClock } from './sla.clock.ts'
import type { SlaPorts } from './sla.ports.ts'
import * as repo from './sla.repository.ts'
import type { Policy, PolicyRules } from './sla.types.ts'

/** Durable wake-ups: one job per (conversation, instant a threshold falls due). */
export const SLA_TIMER_QUEUE = 'sla-timer'
export interface SlaTimerJob {
  workspaceId: string
  conversationId: string
  at: string
}

/** The event types the clocks write to the outbox (and the timeline). */
export const slaEventTypes = ['sla.warning', 'sla.breached', 'sla.escalated', 'sla.escalation-skipped'] as const

const MAX_FACTS = 2000

/** A deterministic job id: enqueueing the same wake-up twice inserts one job. */
const jobId = (conversationId: string, at: Date) => {
  const h = createHash('sha1').update(`sla|${conversationId}|${at.toISOString()}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export const presentEntry = (e: ExplanationEntry) => ({ at: e.at.toISOString(), clock: e.clock, cycle: e.cycle, kind: e.kind, percent: e.percent, text: e.text })

export function presentEvaluation(ev: Evaluation) {
  return {
    firstResponseDueAt: ev.dueAt.first_response?.toISOString() ?? null,
    nextResponseDueAt: ev.dueAt.next_response?.toISOString() ?? null,
    resolutionDueAt: ev.dueAt.resolution?.toISOString() ?? null,
    breaches: ev.breaches.map((b) => ({ clock: b.clock, cycle: b.cycle, at: b.at.toISOString() })),
    clocks: ev.clocks,
    explanation: ev.entries.map(presentEntry),
  }
}

/**
 * The live clocks of conversations: facts recorded from events, evaluated by
 * the clock engine against the first matching policy, persisted with every
 * start, pause, resume, fulfilment, warning, breach and escalation, and a
 * durable timer for the next threshold.
 */
export function createClocks(p: Platform, deps: { clock: SlaClock; onNextBreach?: SlaPorts['nextBreachChanged'] }) {
  const { clock } = deps
  /** Tells routing (through its port) when the case's earliest running clock falls due now. */
  const tellNextBreach = async (trx: Tx, ws: string, conversationId: string, at: Date | null) => {
    if (deps.onNextBreach) await deps.onNextBreach(trx, ws, conversationId, at)
  }
  const compiled = new Map<string, { stamp: string; counter: TimeCounter }>()
  let timersReady = false

  async function counterFor(trx: Tx, ws: string, calendarId: string | null): Promise<TimeCounter> {
    if (!calendarId) return elapsedTime
    const cal = await repo.findCalendar(trx, ws, calendarId)
    if (!cal) return elapsedTime
    const hit = compiled.get(cal.id)
    if (hit && hit.stamp === cal.updatedAt) return hit.counter
    const counter = compileCalendar(repo.calendarDefinition(cal))
    if (compiled.size > 1000) compiled.clear()
    compiled.set(cal.id, { stamp: cal.updatedAt, counter })
    return counter
  }

  /** Evaluates facts against rules on a calendar (or elapsed time). */
  async function run(trx: Tx, ws: string, rules: PolicyRules & { calendarId: string | null }, facts: repo.StoredFact[], now: Date): Promise<Evaluation> {
    return evaluate(rules, await counterFor(trx, ws, rules.calendarId), repo.toFacts(facts), now)
  }

  async function emitCrossings(trx: Tx, ws: string, attrs: repo.CaseAttributes, policy: Policy, fresh: ExplanationEntry[]) {
    const actor = systemActor(ws, 'SLA')
    const conv = { conversationId: attrs.id, contactId: attrs.contactId }
    for (const e of fresh) {
      const base = { policyId: policy.id, policyName: policy.name, clock: e.clock, cycle: e.cycle, percent: e.percent, at: e.at.toISOString(), text: e.text }
      if (e.kind === 'warning') await appendEvent(trx, actor, { type: 'sla.warning', ...conv, payload: base })
      else if (e.kind === 'breached') await appendEvent(trx, actor, { type: 'sla.breached', ...conv, payload: base })
      else if (e.kind === 'escalation') {
        const notify = await recipientsOf(trx, ws, attrs, e.actions ?? [])
        await appendEvent(trx, actor, { type: 'sla.escalated', ...conv, payload: { ...base, level: (e.level ?? 0) + 1, actions: e.actions ?? [], notify } })
      }
    }
  }

  /**
   * Adds facts (if any) to a conversation's record and re-evaluates it, in the
   * caller's transaction. `backfill`: a conversation seen for the first time
   * by an event other than its creation gets its history from the tables.
   * `known`: the active policies and the case's attributes, already read in
   * this transaction by a caller that found something to evaluate
   * (repo.clockInputs).
   */
  async function recomputeInTx(
    trx: Tx,
    ws: string,
    conversationId: string,
    opts: { facts?: repo.StoredFact[]; trigger: string; backfill?: boolean; onlyCreatedBefore?: Date; known?: { policies: Policy[]; attrs: repo.CaseAttributes } },
  ): Promise<void> {
    const policies = opts.known?.policies ?? (await repo.listPolicies(trx, ws, { activeOnly: true }))
    const exists = async () => (await repo.findClockRow(trx, ws, conversationId)) !== undefined
    // Nothing to keep time for: no policy, no record. A policy created later rebuilds history from the tables.
    if (!opts.known && policies.length === 0 && !(await exists())) return
    const attrs = opts.known?.attrs ?? (await repo.caseAttributes(trx, ws, conversationId))
    if (!attrs) return
    // A re-match leaves a case created after the change to its own events (they record it at the SLA clock's time).
    if (opts.onlyCreatedBefore && attrs.createdAt.getTime() >= opts.onlyCreatedBefore.getTime() && !(await exists())) return
    const { row, created } = await repo.lockClockRow(trx, ws, conversationId)
    let facts = row.facts as unknown as repo.StoredFact[]
    if (created && opts.backfill) facts = (await repo.historyFacts(trx, ws, [conversationId])).get(conversationId) ?? []
    const known = new Set(facts.map((f) => f.eventId))
    for (const f of opts.facts ?? []) if (!known.has(f.eventId)) facts = [...facts, f]
    if (facts.length > MAX_FACTS) facts = facts.slice(0, 1).concat(facts.slice(-(MAX_FACTS - 1)))

    const now = clock.now()
    const policy = firstMatch(policies, attrs)
    const active = !['solved', 'closed'].includes(attrs.status)
    if (!policy) {
      if (row.policy_id) await repo.storeEntries(trx, ws, conversationId, null, [policyEntry(now, null, `No policy matches any more (${opts.trigger})`)])
      await repo.saveClockRow(trx, ws, conversationId, {
        policyId: null, facts, evaluation: null, firstResponseDueAt: null, nextResponseDueAt: null, resolutionDueAt: null, breached: false, active, nextCheckAt: null, evaluatedAt: now,
      })
      await tellNextBreach(trx, ws, conversationId, null)
      return
    }
    const ev = await run(trx, ws, policy, facts, now)
    const entries = [...ev.entries]
    if (row.policy_id !== policy.id) entries.push(policyEntry(now, policy, row.policy_id ? `replaces another policy (${opts.trigger})` : `matched (${opts.trigger})`))
    const fresh = await repo.storeEntries(trx, ws, conversationId, policy.id, entries)
    await emitCrossings(trx, ws, attrs, policy, ev.entries.filter((e) => fresh.has(e.key) && ['warning', 'breached', 'escalation'].includes(e.kind)))

    const { explanation: _explanation, ...summary } = presentEvaluation(ev)
    const nextBreach = await repo.saveClockRow(trx, ws, conversationId, {
      policyId: policy.id,
      facts,
      evaluation: { policyId: policy.id, ...summary },
      firstResponseDueAt: ev.dueAt.first_response,
      nextResponseDueAt: ev.dueAt.next_response,
      resolutionDueAt: ev.dueAt.resolution,
      breached: ev.breaches.length > 0,
      active,
      nextCheckAt: ev.nextAt,
      evaluatedAt: now,
    })
    await tellNextBreach(trx, ws, conversationId, active ? nextBreach : null)
    if (ev.nextAt && timersReady && row.next_check_at?.getTime() !== ev.nextAt.getTime()) {
      // The previous wake-up (if any) stays queued; when it runs it finds a later next_check_at and does nothing.
      const startAfterSeconds = Math.max(0, Math.ceil((ev.nextAt.getTime() - now.getTime()) / 1000))
      await p.jobs.sendInTx(trx, SLA_TIMER_QUEUE, { workspaceId: ws, conversationId, at: ev.nextAt.toISOString() } satisfies SlaTimerJob, {
        id: jobId(conversationId, ev.nextAt),
        startAfterSeconds,
        retryLimit: 10,
        retryDelaySeconds: 5,
      })
    }
  }

  const policyEntry = (at: Date, policy: Policy | null, why: string): ExplanationEntry => ({
    at,
    clock: 'policy',
    cycle: 0,
    kind: 'policy',
    percent: null,
    key: `policy:${policy?.id ?? 'none'}@${at.toISOString()}`,
    text: policy ? `Policy "${policy.name}" ${why}` : why,
  })

  /** The timer job: re-evaluates when its instant has come (a superseded wake-up finds nothing due). */
  async function onTimer(data: SlaTimerJob): Promise<void> {
    await p.tx(data.workspaceId, async (trx) => {
      const row = await repo.findClockRow(trx, data.workspaceId, data.conversationId)
      if (!row?.next_check_at) return
      const now = clock.now()
      if (row.next_check_at.getTime() > now.getTime()) {
        // This very wake-up, early by this process's clock: wait for the rest. Any other one was superseded.
        if (row.next_check_at.toISOString() === data.at && timersReady) {
          const wait = Math.max(1, Math.ceil((row.next_check_at.getTime() - now.getTime()) / 1000))
          await p.jobs.sendInTx(trx, SLA_TIMER_QUEUE, data, { id: randomUUID(), startAfterSeconds: wait, retryLimit: 10 })
        }
        return
      }
      await recomputeInTx(trx, data.workspaceId, data.conversationId, { trigger: 'timer' })
    })
  }

  /** Re-evaluates every conversation (of any workspace) whose next check is due: at start, and after a clock jump. */
  async function runDueChecks(limit = 1000): Promise<number> {
    const due = await repo.dueChecks(p.db, clock.now(), limit)
    for (const d of due) await p.tx(d.workspaceId, (trx) => recomputeInTx(trx, d.workspaceId, d.conversationId, { trigger: 'timer' }))
    return due.length
  }

  /** Re-evaluates the workspace's open cases (a policy or calendar changed at `changedAt`). */
  async function rematch(ws: string, reason: string, changedAt?: Date): Promise<number> {
    let after: string | null = null
    let n = 0
    for (;;) {
      const ids: string[] = await p.tx(ws, (trx) => repo.openConversationIds(trx, ws, after, 100))
      if (!ids.length) return n
      for (const id of ids) await p.tx(ws, (trx) => recomputeInTx(trx, ws, id, { trigger: reason, backfill: true, ...(changedAt && { onlyCreatedBefore: changedAt }) }))
      n += ids.length
      after = ids[ids.length - 1]!
    }
  }

  /** `GET /conversations/{id}/sla`: evaluated now, with everything stored about its clocks. */
  async function detail(actor: Actor, conversationId: string) {
    authorize(actor, 'conversations:read')
    const ws = actor.workspaceId
    return p.tx(actor, async (trx) => {
      const attrs = await repo.caseAttributes(trx, ws, conversationId)
      if (!attrs) throw notFound('Conversation')
      const row = await repo.findClockRow(trx, ws, conversationId)
      const policy = row?.policy_id ? await repo.findPolicy(trx, ws, row.policy_id) : null
      const now = clock.now()
      const history = (await repo.storedEntries(trx, ws, conversationId)).map((e) => ({
        at: e.at.toISOString(), clock: e.clock, cycle: e.cycle, kind: e.kind, percent: e.percent, text: e.text, policyId: e.policy_id, recordedAt: e.created_at.toISOString(),
      }))
      const base = { conversationId, calendarId: policy?.calendarId ?? null, evaluatedAt: now.toISOString(), history }
      if (!row || !policy) return { ...base, policy: null, firstResponseDueAt: null, nextResponseDueAt: null, resolutionDueAt: null, breaches: [], clocks: [], explanation: [] }
      const ev = await run(trx, ws, policy, row.facts as unknown as repo.StoredFact[], now)
      return { ...base, policy: { id: policy.id, name: policy.name }, ...presentEvaluation(ev) }
    })
  }

  return {
    recomputeInTx,
    onTimer,
    runDueChecks,
    rematch,
    detail,
    run,
    /** Called once the timer queue's worker runs: from then on recomputes enqueue wake-ups. */
    timersStarted() {
      timersReady = true
    },
  }
}
export type Clocks = ReturnType<typeof createClocks>
