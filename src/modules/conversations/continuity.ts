import type { Tx } from '../../platform/db/tenant.ts'
import { perTransaction } from '../../platform/db/tx-memo.ts'
import type { Row } from '../../platform/db/schema.ts'
import * as repo from './conversations.repository.ts'
import type { ConversationsDeps } from './conversations.shared.ts'

/** The continuity rule (docs/channels/README.md, "Continuity"): which open case a threadless inbound message continues. */

const ruleOnce = perTransaction<Awaited<ReturnType<ConversationsDeps['workspaces']['continuityInTx']>>>()

/**
 * The open case a threadless message of this contact continues under the
 * workspace's continuity rule, with the reason shown in the timeline; null
 * when the rule (or the channel's hint) says a new case.
 */
export async function continuableInTx(deps: ConversationsDeps, trx: Tx, ws: string, contactId: string, channel: string, hint: 'rule' | 'other-channels' | 'off'): Promise<{ conversation: Row<'conversations'>; reason: string } | null> {
  if (hint === 'off') return null
  // Once per transaction: a batch of inbound messages (email) reads the workspace's rule once.
  const rule = await ruleOnce(trx, ws, () => deps.workspaces.continuityInTx(trx, ws))
  if (rule.mode === 'off' || (hint === 'other-channels' && rule.mode !== 'any_channel')) return null
  const conversation = await repo.findContinuableConversation(trx, ws, contactId, {
    windowDays: rule.windowDays,
    ...(rule.mode === 'same_channel' && { channel }),
    ...(hint === 'other-channels' && { notChannel: channel }),
  })
  if (!conversation) return null
  const where = conversation.channel === channel ? `on ${channel}` : `last on ${conversation.channel}, now ${channel}`
  return {
    conversation,
    reason: `continued the contact's open case #${conversation.number} (${where}), active within ${rule.windowDays} days: continuity rule ${rule.mode}`,
  }
}
