import type { ConversationStatus, Priority } from '../modules/conversations/index.ts'
import { type DemoContact, demoStaff, type StaffMember, type TeamName } from './people.ts'
import type { Random } from './random.ts'
import { fill, templates, variablesFor } from './templates.ts'

/** The inbox kinds the demo creates: none of them needs real provider credentials. */
export const demoChannels = ['email', 'api', 'chat', 'sms'] as const
export type DemoChannel = (typeof demoChannels)[number]

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** How far back the demo's history reaches. */
export const HISTORY_DAYS = 42

/** One thing that happens to a conversation after the customer's first message, in time order. */
export type Step =
  | { kind: 'assign'; at: Date; by: string; assignee: string }
  | { kind: 'reply'; at: Date; by: string; text: string; status?: 'pending' | 'solved' }
  | { kind: 'note'; at: Date; by: string; text: string }
  | { kind: 'inbound'; at: Date; channel: DemoChannel; text: string }
  | { kind: 'status'; at: Date; by: string; status: ConversationStatus }

export interface PlannedConversation {
  contact: number
  channel: DemoChannel
  subject: string | null
  text: string
  at: Date
  priority: Priority
  tags: string[]
  category: string
  team: TeamName
  /** Routed to this agent when the conversation opens (staff email); none: waiting in the team's queue. */
  assignee: string | undefined
  steps: Step[]
  status: ConversationStatus
}

const agentsOf = (team: TeamName): StaffMember[] => demoStaff.filter((s) => s.role === 'agent' && s.teams.includes(team))
const supervisorOf = (team: TeamName): StaffMember => demoStaff.find((s) => s.role === 'supervisor' && s.teams.includes(team)) ?? demoStaff[0]!

function targetStatus(rnd: Random, ageDays: number): ConversationStatus {
  if (ageDays < 2) return rnd.weighted({ open: 45, pending: 30, on_hold: 5, solved: 20, closed: 0 })
  if (ageDays < 10) return rnd.weighted({ open: 15, pending: 20, on_hold: 5, solved: 40, closed: 20 })
  return rnd.weighted({ open: 5, pending: 5, on_hold: 2, solved: 28, closed: 60 })
}

/** A start time within the history, during (UTC) working hours, at least two hours ago. */
function startTime(rnd: Random, now: Date): Date {
  const d = new Date(now.getTime() - rnd.next() * HISTORY_DAYS * DAY)
  d.setUTCHours(rnd.int(7, 19), rnd.int(0, 59), rnd.int(0, 59), 0)
  while (d.getTime() > now.getTime() - 2 * HOUR) d.setTime(d.getTime() - DAY)
  return d
}

/**
 * Plans `count` conversations: who writes, on which channel, about what, and
 * how each one went (assignment, replies, notes, follow-ups, final status).
 * Pure: the same random generator and `now` give the same plan.
 */
export function planConversations(rnd: Random, contacts: DemoContact[], count: number, now: Date): PlannedConversation[] {
  const plans: PlannedConversation[] = []
  // Some customers write often: the first fifth of the list gets half of the conversations.
  const frequent = Math.max(1, Math.floor(contacts.length / 5))
  for (let i = 0; i < count; i++) {
    const contactIndex = rnd.chance(0.5) ? rnd.int(0, frequent - 1) : rnd.int(0, contacts.length - 1)
    const contact = contacts[contactIndex]!
    const tpl = rnd.pick(templates)
    const channel = rnd.weighted<DemoChannel>({ email: 45, api: 15, chat: 25, sms: 15 })
    const vip = contact.attributes.tier === 'enterprise' || (contact.attributes.tier === 'premium' && rnd.chance(0.3))
    const team: TeamName = vip ? 'VIP' : tpl.team
    const agents = agentsOf(team)
    const agent = rnd.pick(agents)
    const supervisor = supervisorOf(team)
    let at = startTime(rnd, now)
    const vars = variablesFor(rnd, contact.firstName, agent.name.split(' ')[0]!, at)
    let priority = rnd.weighted({ low: 1, normal: 4, high: 1, urgent: 0, ...tpl.priority })
    if (vip && priority === 'normal' && rnd.chance(0.5)) priority = 'high'
    const status = targetStatus(rnd, (now.getTime() - at.getTime()) / DAY)
    const plan: PlannedConversation = {
      contact: contactIndex,
      channel,
      subject: channel === 'sms' ? null : fill(tpl.subject, vars),
      text: fill(tpl.body, vars),
      at,
      priority,
      tags: [...tpl.tags, ...(vip ? ['vip'] : [])],
      category: tpl.category,
      team,
      assignee: undefined,
      steps: [],
      status,
    }
    const later = (min: number, max: number) => (at = new Date(at.getTime() + rnd.int(min, max)))
    const unassigned = status === 'open' && rnd.chance(0.3)
    if (!unassigned) plan.assignee = agent.email
    let replier = agent
    if (!unassigned && (status !== 'open' || rnd.chance(0.6))) {
      // Replies and customer answers, 1–8 messages in all (the first one included).
      const total = rnd.int(2, 8)
      let written = 1
      let customerChannel: DemoChannel = channel
      let lastWasReply = false
      while (written < total) {
        if (!lastWasReply) {
          if (tpl.notes.length && rnd.chance(0.3) && written < total - 1) {
            plan.steps.push({ kind: 'note', at: later(5 * MINUTE, 2 * HOUR), by: rnd.chance(0.8) ? replier.email : supervisor.email, text: fill(rnd.pick(tpl.notes), vars) })
            written++
          }
          plan.steps.push({ kind: 'reply', at: later(10 * MINUTE, 8 * HOUR), by: replier.email, text: fill(rnd.pick(tpl.replies), vars) })
          lastWasReply = true
          // Now and then the supervisor hands the case to a colleague (a transfer).
          const colleagues = agents.filter((a) => a !== replier)
          if (colleagues.length && rnd.chance(0.08)) {
            replier = rnd.pick(colleagues)
            plan.steps.push({ kind: 'assign', at: later(5 * MINUTE, 2 * HOUR), by: supervisor.email, assignee: replier.email })
          }
        } else {
          if (tpl.followUps.length === 0) break
          // Now and then the customer answers on another channel: the case keeps one history.
          if (rnd.chance(0.12)) customerChannel = rnd.pick(demoChannels.filter((c) => c !== customerChannel))
          plan.steps.push({ kind: 'inbound', at: later(30 * MINUTE, 2 * DAY), channel: customerChannel, text: fill(rnd.pick(tpl.followUps), vars) })
          lastWasReply = false
        }
        written++
      }
      const last = plan.steps[plan.steps.length - 1]
      const by = replier.email
      if ((status === 'pending' || status === 'solved' || status === 'closed') && last?.kind === 'reply') last.status = status === 'pending' ? 'pending' : 'solved'
      else if (status === 'pending' || status === 'solved' || status === 'closed') plan.steps.push({ kind: 'status', at: later(5 * MINUTE, 4 * HOUR), by, status: status === 'pending' ? 'pending' : 'solved' })
      if (status === 'on_hold') plan.steps.push({ kind: 'status', at: later(5 * MINUTE, 4 * HOUR), by, status: 'on_hold' })
      if (status === 'closed') plan.steps.push({ kind: 'status', at: later(2 * DAY, 4 * DAY), by: supervisor.email, status: 'closed' })
    } else {
      plan.status = 'open'
    }
    // Everything happened in the past: a history running past now is moved back as a whole.
    const overflow = at.getTime() - (now.getTime() - 10 * MINUTE)
    if (overflow > 0) {
      const back = (d: Date) => new Date(d.getTime() - overflow)
      plan.at = back(plan.at)
      for (const s of plan.steps) s.at = back(s.at)
    }
    plans.push(plan)
  }
  return plans
}
