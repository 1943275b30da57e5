import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'

export const deliverabilityStatuses = ['ok', 'soft_bounced', 'undeliverable'] as const
export type DeliverabilityStatus = (typeof deliverabilityStatuses)[number]

/**
 * Whether mail can reach an identity (email only; other kinds are always `ok`).
 * `undeliverable`: a hard bounce (the address does not exist, the domain has no
 * mail server, the mailbox moved…) — nothing is sent until an agent clears it.
 * `soft_bounced`: recent soft bounces (mailbox full, spam block, rate limit…);
 * sending goes on (`sendable`) unless enough came in a row, then it pauses until
 * `expiresAt`. `reason`, `diagnostic` and `dsnStatus` describe the last bounce.
 */
export const deliverabilitySchema = z
  .object({
    status: z.enum(deliverabilityStatuses),
    /** False while nothing may be sent: undeliverable, or soft bounces paused it. */
    sendable: z.boolean(),
    reason: z.string().nullable(),
    diagnostic: z.string().nullable(),
    dsnStatus: z.string().nullable(),
    bouncedAt: z.string().nullable(),
    /** When a soft pause ends (sendable === false), or when the current soft-bounce streak is forgotten. */
    expiresAt: z.string().nullable(),
    /** Soft bounces in the current streak. */
    softBounces: z.number().int(),
  })
  .meta({ id: 'Deliverability' })
export type Deliverability = z.infer<typeof deliverabilitySchema>

const OK: Deliverability = { status: 'ok', sendable: true, reason: null, diagnostic: null, dsnStatus: null, bouncedAt: null, expiresAt: null, softBounces: 0 }

type BounceColumns = Pick<
  Row<'contact_identities'>,
  'undeliverable_at' | 'bounce_reason' | 'bounce_diagnostic' | 'bounce_status' | 'bounced_at' | 'soft_bounce_count' | 'soft_window_ends_at' | 'soft_blocked_until'
>

/** The identity's deliverability at `now`: soft pauses and streaks expire by themselves. Pure. */
export function deliverabilityOf(r: BounceColumns, now: Date = new Date()): Deliverability {
  const last = { reason: r.bounce_reason, diagnostic: r.bounce_diagnostic, dsnStatus: r.bounce_status, bouncedAt: r.bounced_at?.toISOString() ?? null }
  if (r.undeliverable_at) return { ...last, status: 'undeliverable', sendable: false, reason: r.bounce_reason ?? 'unknown', bouncedAt: last.bouncedAt ?? r.undeliverable_at.toISOString(), expiresAt: null, softBounces: r.soft_bounce_count }
  if (r.soft_blocked_until && r.soft_blocked_until > now) return { ...last, status: 'soft_bounced', sendable: false, expiresAt: r.soft_blocked_until.toISOString(), softBounces: r.soft_bounce_count }
  if (r.soft_bounce_count > 0 && r.soft_window_ends_at && r.soft_window_ends_at > now)
    return { ...last, status: 'soft_bounced', sendable: true, expiresAt: r.soft_window_ends_at.toISOString(), softBounces: r.soft_bounce_count }
  return OK
}

/** How soft bounces add up: `limit` in a row within `windowHours` pause sending for `blockHours`. */
export interface SoftBouncePolicy {
  limit: number
  windowHours: number
  blockHours: number
}

/** One bounce of one address, as the email channel read it. */
export interface EmailBounce {
  email: string
  hard: boolean
  reason: string
  diagnostic: string | null
  dsnStatus: string | null
}

/** What a bounce did to one identity. */
export type BounceOutcome = 'undeliverable' | 'soft_blocked' | 'soft_bounced' | 'unchanged'

export interface IdentityBounceResult {
  identityId: string
  contactId: string
  outcome: BounceOutcome
  deliverability: Deliverability
}
