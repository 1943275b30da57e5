import type { Actor } from '../../platform/auth/actor.ts'

/**
 * What the SLA module uses from modules that may not be there. The
 * composition root injects them; an escalation whose port is missing is
 * recorded as `sla.escalation-skipped` instead of failing.
 */
export interface SlaPorts {
  /** The routing module's `moveToQueue` (src/modules/routing/index.ts): tier changes L1 → L2 → L3 with a handover note. */
  moveToQueue?(actor: Actor, conversationId: string, queueId: string, note?: string): Promise<unknown>
}
