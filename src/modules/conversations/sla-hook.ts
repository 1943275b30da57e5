import { z } from 'zod'
import type { Tx } from '../../platform/db/tenant.ts'

/**
 * The `sla` field of a conversation's JSON. The SLA module (src/modules/sla)
 * owns the clocks; this module only shows their last evaluation, through a
 * reader the composition root installs (app.ts: `setSlaSummaryReader`). The
 * reader is a pure function of the database, the same for every app
 * instance, which is why one process-wide hook is enough.
 */
export const conversationSlaSchema = z
  .object({
    policyId: z.uuid(),
    /** Due times of the running clocks (null: not running — not started, paused, fulfilled or stopped). */
    firstResponseDueAt: z.string().nullable(),
    nextResponseDueAt: z.string().nullable(),
    resolutionDueAt: z.string().nullable(),
    firstResponseBreached: z.boolean(),
    nextResponseBreached: z.boolean(),
    resolutionBreached: z.boolean(),
    breaches: z.array(z.object({ clock: z.string(), cycle: z.number().int(), at: z.string() })),
  })
  .meta({ id: 'ConversationSlaSummary' })
export type ConversationSlaSummary = z.infer<typeof conversationSlaSchema>

export type SlaSummaryReader = (trx: Tx, workspaceId: string, conversationIds: string[]) => Promise<Map<string, ConversationSlaSummary>>

let reader: SlaSummaryReader | null = null

export function setSlaSummaryReader(r: SlaSummaryReader | null): void {
  reader = r
}

export async function slaSummariesOf(trx: Tx, workspaceId: string, ids: string[]): Promise<Map<string, ConversationSlaSummary>> {
  return reader && ids.length ? reader(trx, workspaceId, ids) : new Map()
}
