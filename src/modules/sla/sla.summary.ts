import type { Tx } from '../../platform/db/tenant.ts'
import type { ConversationSlaSummary } from '../conversations/index.ts'
import { summariesOf } from './sla.repository.ts'

interface StoredEvaluation {
  breaches?: Array<{ clock: string; cycle: number; at: string }>
}

/** The `sla` field of conversations (their last evaluation), installed into the conversations module by app.ts. */
export async function slaSummaries(trx: Tx, workspaceId: string, conversationIds: string[]): Promise<Map<string, ConversationSlaSummary>> {
  const out = new Map<string, ConversationSlaSummary>()
  for (const r of await summariesOf(trx, workspaceId, conversationIds)) {
    if (!r.policy_id) continue
    const breaches = ((r.evaluation as StoredEvaluation | null)?.breaches ?? []).map((b) => ({ clock: b.clock, cycle: b.cycle, at: b.at }))
    const breached = (clock: string) => breaches.some((b) => b.clock === clock)
    out.set(r.conversation_id, {
      policyId: r.policy_id,
      firstResponseDueAt: r.first_response_due_at?.toISOString() ?? null,
      nextResponseDueAt: r.next_response_due_at?.toISOString() ?? null,
      resolutionDueAt: r.resolution_due_at?.toISOString() ?? null,
      firstResponseBreached: breached('first_response'),
      nextResponseBreached: breached('next_response'),
      resolutionBreached: breached('resolution'),
      breaches,
    })
  }
  return out
}
