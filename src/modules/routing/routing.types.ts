import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'
import { humanText } from '../../platform/http/schemas.ts'

// ---------------------------------------------------------------------------
// Vocabulary (pure: no I/O)
// ---------------------------------------------------------------------------

export const presenceStatuses = ['online', 'away', 'busy', 'offline'] as const
export type PresenceStatus = (typeof presenceStatuses)[number]

export const strategies = ['least_loaded', 'round_robin', 'skills', 'sticky'] as const
export type Strategy = (typeof strategies)[number]
export const fallbackStrategies = ['least_loaded', 'round_robin', 'skills'] as const
export type FallbackStrategy = (typeof fallbackStrategies)[number]

/**
 * The version of each strategy's scoring, stored with every decision so a
 * change in scoring is visible when decisions are compared over time.
 */
export const strategyVersions: Record<Strategy, number> = { least_loaded: 1, round_robin: 1, skills: 1, sticky: 1 }

/** Channels where the customer waits on the line: cases are offered, not assigned. */
export const liveChannels: readonly string[] = ['chat', 'voice']
export const isLive = (channel: string) => liveChannels.includes(channel)

/** The conversation statuses that hold an agent's capacity. */
export const activeStatuses = ['open', 'pending', 'on_hold'] as const

export const priorityRank: Record<string, number> = { urgent: 4, high: 3, normal: 2, low: 1 }

export interface Skill {
  name: string
  level: number
}
export interface PreferredSkill extends Skill {
  weight?: number | undefined
}

// ---------------------------------------------------------------------------
// API schemas
// ---------------------------------------------------------------------------

const name = humanText(100).pipe(z.string().min(1))
const skillName = z.string().trim().toLowerCase().min(1).max(64)
export const skillSchema = z.strictObject({ name: skillName, level: z.number().int().min(0).max(100) })
const preferredSkillSchema = skillSchema.extend({ weight: z.number().min(0).max(100).optional() })
const channelKey = z.enum(['email', 'chat', 'sms', 'whatsapp', 'messenger', 'instagram', 'telegram', 'voice', 'api'])

export const presenceBody = z.strictObject({ status: z.enum(presenceStatuses), reason: humanText(200).optional() })
export const routingProfileBody = z.strictObject({
  capacity: z.partialRecord(channelKey, z.number().int().min(0).max(1000)),
  skills: z.array(skillSchema).max(100).refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'skill names must be unique'),
})

export const agentRoutingSchema = z
  .object({
    userId: z.uuid(),
    status: z.enum(presenceStatuses),
    reason: z.string().nullable(),
    statusChangedAt: z.string(),
    lastSeenAt: z.string().nullable(),
    capacity: z.record(z.string(), z.number()),
    skills: z.array(skillSchema),
    /** Active cases per channel now (open, pending, on hold) plus pending offers. */
    load: z.record(z.string(), z.number()),
  })
  .meta({ id: 'AgentRouting' })
export type AgentRouting = z.infer<typeof agentRoutingSchema>

export const queueMatchSchema = z.strictObject({
  inboxIds: z.array(z.uuid()).max(100).optional(),
  channels: z.array(channelKey).max(20).optional(),
  categoryIds: z.array(z.uuid()).max(100).optional(),
  priorities: z.array(z.enum(['low', 'normal', 'high', 'urgent'])).max(4).optional(),
  languages: z.array(z.string().trim().toLowerCase().min(2).max(16)).max(50).optional(),
  tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
  contactAttributes: z.record(z.string().min(1).max(64), z.union([z.string().max(200), z.number(), z.boolean()])).optional(),
})
export type QueueMatch = z.infer<typeof queueMatchSchema>

const overflowSchema = z
  .strictObject({
    afterMinutes: z.number().min(0.01).max(7 * 24 * 60),
    queueId: z.uuid().optional(),
    skillLevelDrop: z.number().int().min(1).max(100).optional(),
  })
  .refine((o) => o.queueId !== undefined || o.skillLevelDrop !== undefined, 'give queueId or skillLevelDrop')
const abTestSchema = z.strictObject({ strategyB: z.enum(strategies), percentB: z.number().int().min(0).max(100) })

const queueFields = {
  name,
  strategy: z.enum(strategies),
  match: queueMatchSchema.optional(),
  teamId: z.uuid().nullable().optional(),
  requiredSkills: z.array(skillSchema).max(20).optional(),
  preferredSkills: z.array(preferredSkillSchema).max(20).optional(),
  stickyMinutes: z.number().int().min(1).max(60 * 24 * 90).nullable().optional(),
  fallbackStrategy: z.enum(fallbackStrategies).nullable().optional(),
  offerTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  overflow: overflowSchema.nullable().optional(),
  releaseOnOffline: z.boolean().optional(),
  abTest: abTestSchema.nullable().optional(),
  /** 0-based place in the workspace's queue order (first match wins); default: last. */
  position: z.number().int().min(0).max(10_000).optional(),
}
export const createQueueBody = z.strictObject(queueFields)
export const updateQueueBody = z.strictObject({ ...queueFields, name: name.optional(), strategy: z.enum(strategies).optional() })
export type QueueInput = z.infer<typeof updateQueueBody>

export const queueSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    position: z.number().int(),
    strategy: z.enum(strategies),
    match: queueMatchSchema,
    teamId: z.uuid().nullable(),
    requiredSkills: z.array(skillSchema),
    preferredSkills: z.array(preferredSkillSchema),
    stickyMinutes: z.number().nullable(),
    fallbackStrategy: z.enum(fallbackStrategies).nullable(),
    offerTimeoutSeconds: z.number().int(),
    overflow: z.object({ afterMinutes: z.number(), queueId: z.uuid().optional(), skillLevelDrop: z.number().optional() }).nullable(),
    releaseOnOffline: z.boolean(),
    abTest: abTestSchema.nullable(),
    /** Cases waiting (not yet offered or assigned) in this queue now. */
    waiting: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Queue' })
export type Queue = z.infer<typeof queueSchema>

export const candidateSchema = z.object({
  userId: z.uuid(),
  score: z.number(),
  load: z.record(z.string(), z.number()),
  eligible: z.boolean(),
  /** Why an agent was not eligible, or how the score came about. */
  note: z.string().optional(),
})
export type Candidate = z.infer<typeof candidateSchema>

export const decisionKinds = ['assigned', 'offered', 'no_candidate', 'offer_accepted', 'offer_declined', 'offer_expired', 'requeued', 'released', 'transferred', 'moved', 'overflowed'] as const
export type DecisionKind = (typeof decisionKinds)[number]

export const decisionSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    queueId: z.uuid().nullable(),
    kind: z.enum(decisionKinds),
    strategy: z.string().nullable(),
    strategyVersion: z.number().nullable(),
    arm: z.enum(['A', 'B']).nullable(),
    candidates: z.array(candidateSchema),
    winnerId: z.uuid().nullable(),
    durationMs: z.number(),
    reason: z.string(),
    actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string() }),
    createdAt: z.string(),
  })
  .meta({ id: 'RoutingDecision' })
export type Decision = z.infer<typeof decisionSchema>

export const offerSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    userId: z.uuid(),
    queueId: z.uuid().nullable(),
    channel: z.string(),
    state: z.enum(['pending', 'accepted', 'declined', 'expired', 'cancelled']),
    createdAt: z.string(),
    expiresAt: z.string(),
    respondedAt: z.string().nullable(),
  })
  .meta({ id: 'RoutingOffer' })
export type Offer = z.infer<typeof offerSchema>

export const transferBody = z.strictObject({
  to: z.union([z.strictObject({ userId: z.uuid() }), z.strictObject({ teamId: z.uuid() }), z.strictObject({ queueId: z.uuid() })]),
  note: humanText(2000).pipe(z.string().min(1)).optional(),
  /** Supervisors and admins only: assign even if the agent has no free capacity for the channel. */
  override: z.boolean().optional(),
})
export type TransferInput = z.infer<typeof transferBody>

export const routingSettingsSchema = z.object({ transferNoteRequired: z.boolean() }).meta({ id: 'RoutingSettings' })

const armReport = z.object({
  strategy: z.string(),
  cases: z.number().int(),
  assigned: z.number().int(),
  /** Seconds from entering routing to the first assignment (mean, median). */
  timeToAssignSeconds: z.object({ mean: z.number().nullable(), median: z.number().nullable() }),
  firstResponseSeconds: z.object({ mean: z.number().nullable(), median: z.number().nullable() }),
  resolved: z.number().int(),
  resolutionRate: z.number().nullable(),
  resolutionSeconds: z.object({ mean: z.number().nullable(), median: z.number().nullable() }),
})
export const abReportSchema = z.object({ queueId: z.uuid(), abTest: abTestSchema.nullable(), arms: z.object({ A: armReport, B: armReport }) }).meta({ id: 'RoutingAbReport' })

// ---------------------------------------------------------------------------
// Mappers
// ---------------------------------------------------------------------------

const iso = (d: Date | null) => (d ? d.toISOString() : null)

export const toQueue = (r: Row<'routing_queues'>, waiting: number): Queue => ({
  id: r.id,
  name: r.name,
  position: r.position,
  strategy: r.strategy as Strategy,
  match: r.match as QueueMatch,
  teamId: r.team_id,
  requiredSkills: r.required_skills,
  preferredSkills: r.preferred_skills,
  stickyMinutes: r.sticky_minutes,
  fallbackStrategy: r.fallback_strategy as FallbackStrategy | null,
  offerTimeoutSeconds: r.offer_timeout_seconds,
  overflow: r.overflow as Queue['overflow'],
  releaseOnOffline: r.release_on_offline,
  abTest: r.ab_test as Queue['abTest'],
  waiting,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

export const toOffer = (r: Row<'routing_offers'>): Offer => ({
  id: r.id,
  conversationId: r.conversation_id,
  userId: r.user_id,
  queueId: r.queue_id,
  channel: r.channel,
  state: r.state as Offer['state'],
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  respondedAt: iso(r.responded_at),
})

export const toDecision = (r: Row<'routing_decisions'>): Decision => ({
  id: r.id,
  conversationId: r.conversation_id,
  queueId: r.queue_id,
  kind: r.kind as DecisionKind,
  strategy: r.strategy,
  strategyVersion: r.strategy_version,
  arm: r.arm as Decision['arm'],
  candidates: r.candidates as Candidate[],
  winnerId: r.winner_id,
  durationMs: r.duration_ms,
  reason: r.reason,
  actor: r.actor as Decision['actor'],
  createdAt: r.created_at.toISOString(),
})

export const toAgentRouting = (r: Row<'agent_routing'>, load: Record<string, number>): AgentRouting => ({
  userId: r.user_id,
  status: r.status as PresenceStatus,
  reason: r.status_reason,
  statusChangedAt: r.status_changed_at.toISOString(),
  lastSeenAt: iso(r.last_seen_at),
  capacity: r.capacity,
  skills: r.skills,
  load,
})
