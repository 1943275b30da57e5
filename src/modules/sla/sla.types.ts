import { IANAZone } from 'luxon'
import { z } from 'zod'
import { humanText } from '../../platform/http/schemas.ts'
import { conversationStatuses, priorities } from '../conversations/index.ts'
import { isKnownHolidayRegion, minuteOfDay, weekdays } from './calendar.ts'

/** The three clocks a policy may run on a conversation. */
export const clockNames = ['first_response', 'next_response', 'resolution'] as const
export type ClockName = (typeof clockNames)[number]

// ---------------------------------------------------------------------------
// Business calendars
// ---------------------------------------------------------------------------

const slot = z.tuple([z.string(), z.string()])
const weeklyHours = z
  .partialRecord(z.enum(weekdays), z.array(slot).max(12))
  .superRefine((week, ctx) => {
    let any = false
    for (const [day, slots] of Object.entries(week)) {
      const spans: Array<[number, number]> = []
      for (const [i, [from, to]] of (slots ?? []).entries()) {
        const a = minuteOfDay(from)
        const b = minuteOfDay(to)
        if (a === null || b === null || a >= 1440) ctx.addIssue({ code: 'custom', path: [day, i], message: 'a slot is ["HH:MM","HH:MM"] (24:00 may end a slot)' })
        else if (b <= a) ctx.addIssue({ code: 'custom', path: [day, i], message: 'a slot must end after it starts' })
        else spans.push([a, b])
      }
      spans.sort((x, y) => x[0] - y[0])
      for (let i = 1; i < spans.length; i++)
        if (spans[i]![0] < spans[i - 1]![1]) ctx.addIssue({ code: 'custom', path: [day], message: 'slots of a day must not overlap' })
      if (spans.length) any = true
    }
    if (!any) ctx.addIssue({ code: 'custom', message: 'a calendar needs at least one slot in the week' })
  })

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD')
export const calendarBody = z.strictObject({
  name: humanText(200).min(1),
  timeZone: z.string().max(100).refine((z) => IANAZone.isValidZone(z), 'must be an IANA time zone such as Europe/Paris'),
  weeklyHours,
  holidays: z.array(z.strictObject({ date: isoDay, name: humanText(200).min(1) })).max(1000).default([]),
  holidayRegion: z
    .string()
    .max(20)
    .refine(isKnownHolidayRegion, 'must be a country or country-region known to date-holidays, such as FR or US-CA')
    .nullable()
    .optional(),
})
export type CalendarInput = z.output<typeof calendarBody>
export const calendarPatch = calendarBody.partial()

export const calendarSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    timeZone: z.string(),
    weeklyHours: z.record(z.string(), z.array(slot)),
    holidays: z.array(z.object({ date: z.string(), name: z.string() })),
    holidayRegion: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'BusinessCalendar' })
export type Calendar = z.infer<typeof calendarSchema>

// ---------------------------------------------------------------------------
// SLA policies
// ---------------------------------------------------------------------------

/** One value or a list; stored as a list (any of them matches). */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1).max(100)]).transform((v) => (Array.isArray(v) ? v : [v]) as Array<z.output<T>>)

export const matchSchema = z.strictObject({
  priority: oneOrMany(z.enum(priorities)).optional(),
  channel: oneOrMany(z.string().min(1).max(40)).optional(),
  inboxId: oneOrMany(z.uuid()).optional(),
  categoryId: oneOrMany(z.uuid()).optional(),
  /** The case must carry every one of these tags. */
  tags: oneOrMany(z.string().trim().toLowerCase().min(1).max(100)).optional(),
})
export type PolicyMatch = z.output<typeof matchSchema>

const minutes = z.number().positive().max(525_600)
const clockChoice = z.enum(clockNames).optional()

/** What an escalation level does when a clock reaches its percent of the target. */
export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('notify_assignee'), message: humanText(500).optional() }),
  z.strictObject({ type: z.literal('notify_team_lead'), message: humanText(500).optional() }),
  /** Every active supervisor of the workspace. */
  z.strictObject({ type: z.literal('notify_supervisors'), message: humanText(500).optional() }),
  /** Every active member of the case's team (nobody when it has none). */
  z.strictObject({ type: z.literal('notify_team'), message: humanText(500).optional() }),
  /** Named users of the workspace (checked when the policy is saved; inactive ones are skipped). */
  z.strictObject({ type: z.literal('notify_users'), userIds: z.array(z.uuid()).min(1).max(50), message: humanText(500).optional() }),
  /** One step up (low → normal → high → urgent), or to `to` when given; never lowers. */
  z.strictObject({ type: z.literal('raise_priority'), to: z.enum(priorities).optional() }),
  /** A tier change (L1 → L2 → L3) through the routing module's queues; the handover note is mandatory. */
  z.strictObject({ type: z.literal('move_to_queue'), queueId: z.uuid(), note: humanText(2000).min(1), tier: z.enum(['L1', 'L2', 'L3']).optional() }),
])
export type EscalationAction = z.output<typeof actionSchema>

export const policyRulesSchema = z.strictObject({
  match: matchSchema.default({}),
  targets: z.strictObject({ firstResponseMinutes: minutes, nextResponseMinutes: minutes.optional(), resolutionMinutes: minutes.optional() }),
  /** Statuses that pause the resolution clock (and the response clocks when pauseFirstResponse). */
  pauseOn: z.array(z.enum(['pending', 'on_hold'])).max(2).default(['pending', 'on_hold']),
  pauseFirstResponse: z.boolean().default(false),
  /** Warnings before breach, by percent of the target elapsed; `clock` limits one to a clock. */
  warnings: z.array(z.strictObject({ percent: z.number().gt(0).lt(100), clock: clockChoice })).max(10).default([]),
  /** Escalation levels by percent elapsed (100 = at breach, 150 = half a target past it). */
  escalations: z.array(z.strictObject({ percent: z.number().gt(0).max(1000), clock: clockChoice, actions: z.array(actionSchema).min(1).max(10) })).max(10).default([]),
})
export type PolicyRules = z.output<typeof policyRulesSchema>

export const policyBody = policyRulesSchema.extend({
  name: humanText(200).min(1),
  calendarId: z.uuid().nullable().optional(),
  position: z.number().int().min(0).max(100_000).optional(),
  active: z.boolean().default(true),
})
export type PolicyInput = z.output<typeof policyBody>
export const policyPatch = z.strictObject({
  name: humanText(200).min(1).optional(),
  calendarId: z.uuid().nullable().optional(),
  position: z.number().int().min(0).max(100_000).optional(),
  active: z.boolean().optional(),
  match: matchSchema.optional(),
  targets: policyRulesSchema.shape.targets.optional(),
  pauseOn: z.array(z.enum(['pending', 'on_hold'])).max(2).optional(),
  pauseFirstResponse: z.boolean().optional(),
  warnings: policyRulesSchema.shape.warnings.unwrap().optional(),
  escalations: policyRulesSchema.shape.escalations.unwrap().optional(),
})
export type PolicyPatch = z.output<typeof policyPatch>

const actionOut = z.record(z.string(), z.unknown())
export const policySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    calendarId: z.uuid().nullable(),
    position: z.number().int(),
    active: z.boolean(),
    match: z.record(z.string(), z.array(z.string())),
    targets: z.object({ firstResponseMinutes: z.number(), nextResponseMinutes: z.number().optional(), resolutionMinutes: z.number().optional() }),
    pauseOn: z.array(z.string()),
    pauseFirstResponse: z.boolean(),
    warnings: z.array(z.object({ percent: z.number(), clock: z.string().optional() })),
    escalations: z.array(z.object({ percent: z.number(), clock: z.string().optional(), actions: z.array(actionOut) })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'SlaPolicy' })
export type Policy = PolicyRules & { id: string; name: string; calendarId: string | null; position: number; active: boolean; createdAt: string; updatedAt: string }

// ---------------------------------------------------------------------------
// Clocks, simulation
// ---------------------------------------------------------------------------

/** What the clock engine reads: the case's history as SLA-relevant facts. */
export type Fact =
  | { at: Date; type: 'received' }
  | { at: Date; type: 'customer_message' }
  | { at: Date; type: 'agent_reply' }
  | { at: Date; type: 'status'; status: (typeof conversationStatuses)[number] }

export const simulateBody = z.strictObject({
  receivedAt: z.iso.datetime({ offset: true }),
  events: z
    .array(
      z.strictObject({
        at: z.iso.datetime({ offset: true }),
        type: z.enum(['status', 'agent_reply', 'customer_message']),
        status: z.enum(conversationStatuses).optional(),
      }).refine((e) => e.type !== 'status' || e.status !== undefined, { message: 'a status event needs status', path: ['status'] }),
    )
    .max(1000)
    .default([]),
  /** Evaluate up to this instant (default: now, or the last event when that is later). */
  until: z.iso.datetime({ offset: true }).optional(),
})

export const simulateHistoryBody = z.strictObject({
  policy: policyRulesSchema.extend({ calendarId: z.uuid().nullable().optional() }),
  days: z.number().int().min(1).max(365),
})

const explanationEntry = z.object({
  at: z.string(),
  clock: z.string(),
  cycle: z.number().int(),
  kind: z.string(),
  percent: z.number().nullable(),
  text: z.string(),
})

export const clockViewSchema = z.object({
  clock: z.enum(clockNames),
  cycle: z.number().int(),
  /** running | paused | fulfilled | stopped */
  state: z.string(),
  targetMinutes: z.number(),
  startedAt: z.string(),
  dueAt: z.string().nullable(),
  fulfilledAt: z.string().nullable(),
  elapsedMinutes: z.number(),
  /** Negative once overdue. */
  remainingMinutes: z.number(),
  breached: z.boolean(),
  breachedAt: z.string().nullable(),
})
export type ClockView = z.infer<typeof clockViewSchema>

export const evaluationSchema = z.object({
  firstResponseDueAt: z.string().nullable(),
  nextResponseDueAt: z.string().nullable(),
  resolutionDueAt: z.string().nullable(),
  breaches: z.array(z.object({ clock: z.string(), cycle: z.number().int(), at: z.string() })),
  clocks: z.array(clockViewSchema),
  explanation: z.array(explanationEntry),
})

export const simulationSchema = evaluationSchema.extend({ policyId: z.uuid(), evaluatedAt: z.string() }).meta({ id: 'SlaSimulation' })

export const historySimulationSchema = z
  .object({
    days: z.number().int(),
    /** Cases created in those days (at most 5,000: \`truncated\`). */
    considered: z.number().int(),
    /** Of those, the cases the draft's match takes. */
    cases: z.number().int(),
    breachedCases: z.number().int(),
    byClock: z.object({ first_response: z.number().int(), next_response: z.number().int(), resolution: z.number().int() }),
    /** The first 100. */
    breachedConversationIds: z.array(z.uuid()),
    truncated: z.boolean(),
  })
  .meta({ id: 'SlaHistorySimulation' })

export const conversationSlaDetailSchema = evaluationSchema
  .extend({
    conversationId: z.uuid(),
    policy: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    calendarId: z.uuid().nullable(),
    evaluatedAt: z.string().nullable(),
    /** Every stored start, pause, resume, fulfilment, warning, breach and escalation, oldest first. */
    history: z.array(explanationEntry.extend({ policyId: z.string().nullable(), recordedAt: z.string() })),
  })
  .meta({ id: 'ConversationSla' })
