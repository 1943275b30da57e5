import type { TimeCounter } from './calendar.ts'
import type { ClockName, ClockView, EscalationAction, Fact, PolicyRules } from './sla.types.ts'

/**
 * The SLA clock engine (pure: no I/O, no clock of its own). It replays a
 * case's facts — received, customer messages, agent replies, status changes —
 * against a policy and a time counter, up to `until`, and says where every
 * clock stands, what happened to it (an explanation), which thresholds were
 * crossed (warnings, breaches, escalation levels) and when the next one
 * falls due. Live cases, simulations and "what if" over history all run
 * through this one function, so they cannot disagree.
 */

export type EntryKind = 'started' | 'paused' | 'resumed' | 'fulfilled' | 'stopped' | 'warning' | 'breached' | 'escalation'

export interface ExplanationEntry {
  at: Date
  /** `policy`: which policy applies changed (stored by the live path only). */
  clock: ClockName | 'policy'
  cycle: number
  kind: EntryKind | 'policy' | 'escalation-skipped'
  percent: number | null
  text: string
  /** Stable identity of the entry within its case (stored entries are keyed by it). */
  key: string
  /** For an escalation: its level (index in the policy) and actions. */
  level?: number
  actions?: EscalationAction[]
}

export interface Evaluation {
  clocks: ClockView[]
  entries: ExplanationEntry[]
  /** The next instant a running clock crosses a threshold (warning, breach, escalation), or null. */
  nextAt: Date | null
  dueAt: Record<ClockName, Date | null>
  breaches: Array<{ clock: ClockName; cycle: number; at: Date }>
}

interface Run {
  clock: ClockName
  cycle: number
  targetMs: number
  startedAt: Date
  /** Counted ms before `since`. */
  elapsedMs: number
  /** Counting since (running), null when paused or finished. */
  since: Date | null
  state: 'running' | 'paused' | 'fulfilled' | 'stopped'
  fulfilledAt: Date | null
  breachedAt: Date | null
  crossed: Set<string>
}

interface Threshold {
  percent: number
  kind: 'warning' | 'breached' | 'escalation'
  level?: number
  actions?: EscalationAction[]
}

const label: Record<ClockName, string> = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' }
const MS = 60_000
const round = (n: number) => Math.round(n * 100) / 100

export function evaluate(rules: PolicyRules, counter: TimeCounter, facts: readonly Fact[], until: Date): Evaluation {
  const entries: ExplanationEntry[] = []
  const runs: Run[] = []
  const current = new Map<ClockName, Run>()
  let status: string = 'open'
  let nextCycle = 1

  const thresholdsFor = (clock: ClockName): Threshold[] => {
    const out: Threshold[] = []
    for (const w of rules.warnings) if (!w.clock || w.clock === clock) out.push({ percent: w.percent, kind: 'warning' })
    out.push({ percent: 100, kind: 'breached' })
    rules.escalations.forEach((e, level) => {
      if (!e.clock || e.clock === clock) out.push({ percent: e.percent, kind: 'escalation', level, actions: e.actions })
    })
    return out.sort((a, b) => a.percent - b.percent)
  }
  const thresholds = new Map<ClockName, Threshold[]>()
  const thresholdKey = (t: Threshold) => (t.kind === 'escalation' ? `escalation:${t.level}` : `${t.kind}:${t.percent}`)

  const add = (run: Run, at: Date, kind: EntryKind, text: string, extra: Partial<ExplanationEntry> = {}) => {
    const base = `${run.clock}#${run.cycle}`
    const key = kind === 'warning' || kind === 'breached' || kind === 'escalation' ? `${base}:${extra.key}` : `${base}:${kind}@${at.toISOString()}`
    entries.push({ at, clock: run.clock, cycle: run.cycle, kind, percent: null, text, ...extra, key })
  }

  const pauses = (clock: ClockName, s: string) =>
    (rules.pauseOn as string[]).includes(s) && (clock === 'resolution' || rules.pauseFirstResponse)

  const start = (clock: ClockName, at: Date, targetMinutes: number | undefined, why: string) => {
    if (targetMinutes === undefined) return
    const run: Run = { clock, cycle: clock === 'next_response' ? nextCycle++ : 1, targetMs: targetMinutes * MS, startedAt: at, elapsedMs: 0, since: at, state: 'running', fulfilledAt: null, breachedAt: null, crossed: new Set() }
    runs.push(run)
    current.set(clock, run)
    add(run, at, 'started', `${label[clock]} clock started (${why}); target ${targetMinutes} min`)
    if (pauses(clock, status)) pause(run, at, `status is ${status}`)
  }
  const pause = (run: Run, at: Date, why: string) => {
    if (run.state !== 'running' || !run.since) return
    run.elapsedMs += counter.minutesBetween(run.since, at) * MS
    run.since = null
    run.state = 'paused'
    add(run, at, 'paused', `${label[run.clock]} clock paused (${why}) after ${round(run.elapsedMs / MS)} min`)
  }
  const resume = (run: Run, at: Date, why: string) => {
    if (run.state === 'running' || run.state === 'stopped') return
    run.since = at
    run.state = 'running'
    run.fulfilledAt = null
    add(run, at, 'resumed', `${label[run.clock]} clock resumed (${why}); ${round((run.targetMs - run.elapsedMs) / MS)} min of target left`)
  }
  const finish = (run: Run, at: Date, state: 'fulfilled' | 'stopped', why: string) => {
    if (run.state === 'fulfilled' || run.state === 'stopped') return
    if (run.since) run.elapsedMs += counter.minutesBetween(run.since, at) * MS
    run.since = null
    run.state = state
    if (state === 'fulfilled') run.fulfilledAt = at
    const verb = state === 'fulfilled' ? 'fulfilled' : 'stopped'
    const late = run.breachedAt ? ', after its breach' : ''
    add(run, at, state, `${label[run.clock]} clock ${verb} (${why}) after ${round(run.elapsedMs / MS)} of ${round(run.targetMs / MS)} min${late}`)
  }

  /** When a running clock reaches `percent` of its target, or null when it already had (or is not running). */
  const crossingAt = (run: Run, percent: number): Date | null => {
    if (run.state !== 'running' || !run.since) return null
    const needMs = (run.targetMs * percent) / 100 - run.elapsedMs
    if (needMs < 0) return null
    return counter.addMinutes(run.since, needMs / MS)
  }

  /** Records every threshold crossed by running clocks up to `t` (exclusive of what happens at `t`). */
  const advance = (t: Date, inclusive: boolean) => {
    for (const run of current.values()) {
      if (run.state !== 'running') continue
      let list = thresholds.get(run.clock)
      if (!list) thresholds.set(run.clock, (list = thresholdsFor(run.clock)))
      for (const th of list) {
        const key = thresholdKey(th)
        if (run.crossed.has(key)) continue
        const at = crossingAt(run, th.percent)
        if (at === null) {
          // Already past it when this segment began (a pause at that very instant): nothing to record now.
          run.crossed.add(key)
          continue
        }
        // A reply at the very instant a target falls due is in time.
        if (inclusive ? at.getTime() > t.getTime() : at.getTime() >= t.getTime()) continue
        run.crossed.add(key)
        if (th.kind === 'breached') {
          run.breachedAt = at
          add(run, at, 'breached', `${label[run.clock]} target of ${round(run.targetMs / MS)} min breached`, { key, percent: 100 })
        } else if (th.kind === 'warning') {
          add(run, at, 'warning', `${label[run.clock]} clock reached ${th.percent} % of its target`, { key, percent: th.percent })
        } else {
          add(run, at, 'escalation', `${label[run.clock]} clock reached ${th.percent} % of its target: escalation level ${th.level! + 1}`, {
            key,
            percent: th.percent,
            level: th.level!,
            actions: th.actions!,
          })
        }
      }
    }
  }

  const ordered = facts.map((f, i) => ({ f, i })).sort((a, b) => a.f.at.getTime() - b.f.at.getTime() || a.i - b.i).map((x) => x.f)
  let received = false
  for (const fact of ordered) {
    if (fact.at.getTime() > until.getTime()) break
    advance(fact.at, false)
    const at = fact.at
    switch (fact.type) {
      case 'received':
        if (received) break
        received = true
        start('first_response', at, rules.targets.firstResponseMinutes, 'case received')
        start('resolution', at, rules.targets.resolutionMinutes, 'case received')
        break
      case 'agent_reply': {
        const fr = current.get('first_response')
        const nr = current.get('next_response')
        if (fr && (fr.state === 'running' || fr.state === 'paused')) finish(fr, at, 'fulfilled', 'an agent replied')
        else if (nr && (nr.state === 'running' || nr.state === 'paused')) finish(nr, at, 'fulfilled', 'an agent replied')
        break
      }
      case 'customer_message': {
        if (!received) break
        const fr = current.get('first_response')
        const nr = current.get('next_response')
        const waiting = nr && (nr.state === 'running' || nr.state === 'paused')
        if (fr && fr.state === 'fulfilled' && !waiting) start('next_response', at, rules.targets.nextResponseMinutes, 'the customer wrote again')
        const res = current.get('resolution')
        if (res && res.state === 'paused') resume(res, at, 'the customer wrote')
        break
      }
      case 'status': {
        const prev = status
        status = fact.status
        if (prev === status) break
        const done = status === 'solved' || status === 'closed'
        for (const run of current.values()) {
          if (done) {
            if (run.clock === 'resolution') finish(run, at, 'fulfilled', `the case was ${status}`)
            else finish(run, at, 'stopped', `the case was ${status} without a reply`)
          } else if (run.clock === 'resolution' && run.state === 'fulfilled') {
            resume(run, at, 'the case was reopened')
            if (pauses(run.clock, status)) pause(run, at, `status is ${status}`)
          } else if (pauses(run.clock, status)) pause(run, at, `status is ${status}`)
          else if (run.state === 'paused') resume(run, at, `status is ${status}`)
        }
        break
      }
    }
  }
  advance(until, true)

  let nextAt: Date | null = null
  const dueAt: Record<ClockName, Date | null> = { first_response: null, next_response: null, resolution: null }
  for (const run of current.values()) {
    if (run.state === 'running') {
      // Overdue since an earlier segment: crossingAt is null, and the due time was the breach.
      dueAt[run.clock] = crossingAt(run, 100) ?? run.breachedAt
      for (const th of thresholds.get(run.clock) ?? thresholdsFor(run.clock)) {
        if (run.crossed.has(thresholdKey(th))) continue
        const at = crossingAt(run, th.percent)
        if (at && (!nextAt || at < nextAt)) nextAt = at
      }
    }
  }
  const views: ClockView[] = runs.map((run) => {
    const counted = run.elapsedMs + (run.state === 'running' && run.since ? counter.minutesBetween(run.since, until) * MS : 0)
    const due = run.state === 'running' && current.get(run.clock) === run ? dueAt[run.clock] : null
    return {
      clock: run.clock,
      cycle: run.cycle,
      state: run.state,
      targetMinutes: round(run.targetMs / MS),
      startedAt: run.startedAt.toISOString(),
      dueAt: due ? due.toISOString() : null,
      fulfilledAt: run.fulfilledAt ? run.fulfilledAt.toISOString() : null,
      elapsedMinutes: round(counted / MS),
      remainingMinutes: round((run.targetMs - counted) / MS),
      breached: run.breachedAt !== null,
      breachedAt: run.breachedAt ? run.breachedAt.toISOString() : null,
    }
  })
  return {
    clocks: views,
    entries: entries.sort((a, b) => a.at.getTime() - b.at.getTime()),
    nextAt,
    dueAt,
    breaches: runs.filter((r) => r.breachedAt).map((r) => ({ clock: r.clock, cycle: r.cycle, at: r.breachedAt! })),
  }
}
