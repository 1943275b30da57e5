import type { Actor } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'

/**
 * What the SLA module uses from modules that may not be there. The
 * composition root injects them; an escalation whose port is missing is
 * recorded as `sla.escalation-skipped` instead of failing.
 */
export interface SlaPorts {
  /** The routing module's `moveToQueue` (src/modules/routing/index.ts): tier changes L1 → L2 → L3 with a handover note. */
  moveToQueue?(actor: Actor, conversationId: string, queueId: string, note?: string): Promise<unknown>
  /**
   * Told, in the SLA transaction, the case's next breach time after every
   * evaluation (null: no clock running): routing keeps a copy on its backlog
   * entry so its order is an index walk. Must only touch the caller's rows.
   */
  nextBreachChanged?(trx: Tx, workspaceId: string, conversationId: string, at: Date | null): Promise<void>
}
