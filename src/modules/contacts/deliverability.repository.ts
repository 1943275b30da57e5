import type { Tx } from '../../platform/db/tenant.ts'
import { type BounceOutcome, deliverabilityOf, type EmailBounce, type IdentityBounceResult, type SoftBouncePolicy } from './deliverability.types.ts'

const HOUR = 3_600_000

/** Every email identity with this address in the workspace, locked for the update. */
function emailIdentitiesForUpdate(trx: Tx, workspaceId: string, email: string) {
  return trx
    .selectFrom('contact_identities')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', 'email')
    .where('value', '=', email.trim().toLowerCase())
    .forUpdate()
    .execute()
}

/**
 * Records a bounce on every identity with the bounced address. A hard bounce
 * marks it undeliverable (until cleared). A soft one extends the current streak
 * (or starts one that ends `windowHours` later); the `limit`-th soft bounce of a
 * streak pauses sending for `blockHours` and ends the streak. A soft bounce
 * leaves an undeliverable identity as it is.
 */
export async function recordEmailBounce(trx: Tx, workspaceId: string, bounce: EmailBounce, policy: SoftBouncePolicy, now: Date = new Date()): Promise<IdentityBounceResult[]> {
  const rows = await emailIdentitiesForUpdate(trx, workspaceId, bounce.email)
  const out: IdentityBounceResult[] = []
  const last = { bounce_reason: bounce.reason, bounce_diagnostic: bounce.diagnostic?.slice(0, 1000) ?? null, bounce_status: bounce.dsnStatus, bounced_at: now }
  for (const r of rows) {
    let outcome: BounceOutcome
    let patch: Partial<typeof r>
    if (bounce.hard) {
      outcome = r.undeliverable_at ? 'unchanged' : 'undeliverable'
      patch = { ...last, undeliverable_at: r.undeliverable_at ?? now, soft_blocked_until: null, soft_window_ends_at: null, soft_bounce_count: 0 }
    } else if (r.undeliverable_at) {
      outcome = 'unchanged'
      patch = {}
    } else {
      const inStreak = r.soft_window_ends_at !== null && r.soft_window_ends_at > now
      const count = inStreak ? r.soft_bounce_count + 1 : 1
      const blocked = count >= policy.limit
      outcome = blocked ? 'soft_blocked' : 'soft_bounced'
      patch = {
        ...last,
        soft_bounce_count: count,
        // A pause ends the streak: after it, sending resumes and a new streak starts from zero.
        soft_window_ends_at: blocked ? null : inStreak ? r.soft_window_ends_at : new Date(now.getTime() + policy.windowHours * HOUR),
        ...(blocked && { soft_blocked_until: new Date(now.getTime() + policy.blockHours * HOUR) }),
      }
    }
    const updated =
      Object.keys(patch).length === 0
        ? r
        : await trx.updateTable('contact_identities').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', r.id).returningAll().executeTakeFirstOrThrow()
    out.push({ identityId: r.id, contactId: r.contact_id, outcome, deliverability: deliverabilityOf(updated, now) })
  }
  return out
}

/**
 * A delivery receipt for the address: mail got through, so a soft-bounce
 * streak or pause is over. A hard bounce stays until an agent clears it.
 */
export async function recordEmailDelivered(trx: Tx, workspaceId: string, email: string): Promise<string[]> {
  const rows = await trx
    .updateTable('contact_identities')
    .set({ soft_bounce_count: 0, soft_window_ends_at: null, soft_blocked_until: null })
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', 'email')
    .where('value', '=', email.trim().toLowerCase())
    .where('undeliverable_at', 'is', null)
    .where((eb) => eb.or([eb('soft_bounce_count', '>', 0), eb('soft_blocked_until', 'is not', null)]))
    .returning('contact_id')
    .execute()
  return rows.map((r) => r.contact_id)
}

/** Makes an identity deliverable again: no hard mark, no streak, no pause. The last bounce is kept for history. */
export function clearDeliverability(trx: Tx, workspaceId: string, contactId: string, identityId: string) {
  return trx
    .updateTable('contact_identities')
    .set({ undeliverable_at: null, soft_bounce_count: 0, soft_window_ends_at: null, soft_blocked_until: null })
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('id', '=', identityId)
    .returningAll()
    .executeTakeFirst()
}
