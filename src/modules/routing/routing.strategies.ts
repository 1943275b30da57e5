import { createHash } from 'node:crypto'
import type { Candidate, FallbackStrategy, PreferredSkill, Skill, Strategy } from './routing.types.ts'

/**
 * The routing strategies, as pure functions over candidates the repository
 * loaded (no I/O): which agents are eligible for a case, how each scores, and
 * who wins. Every candidate is returned with its score and a note, so the
 * decision explains itself.
 */

export interface AgentCandidate {
  userId: string
  capacity: Record<string, number>
  skills: Skill[]
  /** Active cases per channel plus pending offers. */
  load: Record<string, number>
  lastAssignedAt: Date | null
}

export interface CaseToRoute {
  channel: string
  /** The agent who last helped this contact within the queue's sticky window, if any. */
  stickyAgentId: string | null
}

export interface QueueRules {
  strategy: Strategy
  fallbackStrategy: FallbackStrategy | null
  requiredSkills: Skill[]
  preferredSkills: PreferredSkill[]
  /** Overflow may lower every required level by this much. */
  skillLevelDrop: number
}

export interface Outcome {
  candidates: Candidate[]
  winnerId: string | null
  /** The strategy that decided (sticky falls back when its agent is not eligible). */
  decidedBy: Strategy
  reason: string
}

/** Load over capacity summed across the agent's channels: a chat of 3 weighs more than an email of 15. */
export function weightedLoad(a: AgentCandidate): number {
  let sum = 0
  for (const [channel, cap] of Object.entries(a.capacity)) if (cap > 0) sum += (a.load[channel] ?? 0) / cap
  return Math.round(sum * 1000) / 1000
}

export const freeCapacity = (a: AgentCandidate, channel: string) => (a.capacity[channel] ?? 0) - (a.load[channel] ?? 0)

function missingSkill(a: AgentCandidate, required: Skill[], drop: number): string | null {
  for (const r of required) {
    const has = a.skills.find((s) => s.name === r.name)
    const needed = Math.max(0, r.level - drop)
    if (!has || has.level < needed) return `lacks ${r.name} ≥ ${needed}`
  }
  return null
}

function skillScore(a: AgentCandidate, rules: QueueRules): number {
  let score = 0
  for (const r of rules.requiredSkills) score += a.skills.find((s) => s.name === r.name)?.level ?? 0
  for (const p of rules.preferredSkills) {
    const level = a.skills.find((s) => s.name === p.name)?.level ?? 0
    if (level >= p.level) score += (p.weight ?? 1) * level
  }
  return score
}

const scorers: Record<FallbackStrategy, (a: AgentCandidate, rules: QueueRules) => { score: number; note: string }> = {
  least_loaded: (a) => {
    const w = weightedLoad(a)
    return { score: -w, note: `weighted load ${w}` }
  },
  round_robin: (a) => {
    const idle = a.lastAssignedAt ? Math.round((Date.now() - a.lastAssignedAt.getTime()) / 1000) : 1e9
    return { score: idle, note: a.lastAssignedAt ? `last assigned ${idle}s ago` : 'never assigned' }
  },
  skills: (a, rules) => {
    const s = skillScore(a, rules)
    return { score: s, note: `skill score ${s}` }
  },
}

/** Ties go to the less loaded agent, then the one idle longest, then the lower id (deterministic). */
function compare(x: { c: Candidate; a: AgentCandidate }, y: { c: Candidate; a: AgentCandidate }): number {
  return (
    y.c.score - x.c.score ||
    weightedLoad(x.a) - weightedLoad(y.a) ||
    (x.a.lastAssignedAt?.getTime() ?? 0) - (y.a.lastAssignedAt?.getTime() ?? 0) ||
    (x.a.userId < y.a.userId ? -1 : 1)
  )
}

export function decide(kase: CaseToRoute, agents: AgentCandidate[], rules: QueueRules): Outcome {
  const eligible: AgentCandidate[] = []
  const ineligible: Candidate[] = []
  for (const a of agents) {
    const free = freeCapacity(a, kase.channel)
    const lacking = missingSkill(a, rules.requiredSkills, rules.skillLevelDrop)
    if (free <= 0) ineligible.push({ userId: a.userId, score: 0, load: a.load, eligible: false, note: `no free ${kase.channel} capacity (${a.load[kase.channel] ?? 0}/${a.capacity[kase.channel] ?? 0})` })
    else if (lacking) ineligible.push({ userId: a.userId, score: 0, load: a.load, eligible: false, note: lacking })
    else eligible.push(a)
  }

  let decidedBy: Strategy = rules.strategy
  let reason: string
  let scored: Array<{ c: Candidate; a: AgentCandidate }>
  const sticky = rules.strategy === 'sticky' ? eligible.find((a) => a.userId === kase.stickyAgentId) : undefined
  if (sticky) {
    scored = eligible.map((a) => ({ a, c: { userId: a.userId, score: a === sticky ? 1 : 0, load: a.load, eligible: true, note: a === sticky ? 'helped this contact last' : 'not the previous agent' } }))
    reason = 'sticky: the agent who last helped this contact is eligible'
  } else {
    const strategy: FallbackStrategy = rules.strategy === 'sticky' ? (rules.fallbackStrategy ?? 'least_loaded') : rules.strategy
    if (rules.strategy === 'sticky') decidedBy = strategy
    scored = eligible.map((a) => {
      const s = scorers[strategy](a, rules)
      return { a, c: { userId: a.userId, score: s.score, load: a.load, eligible: true, note: s.note } }
    })
    reason =
      rules.strategy === 'sticky'
        ? `sticky: ${kase.stickyAgentId ? 'the previous agent is not eligible' : 'no previous agent within the window'}; fell back to ${strategy}`
        : strategy
  }
  scored.sort(compare)
  const winner = scored[0]
  if (!winner) reason = eligible.length === 0 && agents.length === 0 ? 'no online agent handles this channel' : 'no eligible agent'
  return { candidates: [...scored.map((s) => s.c), ...ineligible], winnerId: winner?.a.userId ?? null, decidedBy, reason }
}

/**
 * The A/B arm of a case in a queue: a stable hash of queue and conversation,
 * so the same case always lands in the same arm and the split is reproducible.
 */
export function abArm(queueId: string, conversationId: string, percentB: number): 'A' | 'B' {
  const h = createHash('sha256').update(`${queueId}:${conversationId}`).digest()
  return h.readUInt32BE(0) % 100 < percentB ? 'B' : 'A'
}
