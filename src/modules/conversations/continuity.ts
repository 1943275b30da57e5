import type { Tx } from '../../platform/db/tenant.ts'
import { perTransaction } from '../../platform/db/tx-memo.ts'
import type { Row } from '../../platform/db/schema.ts'
import type { ConversationsDeps } from './conversations.shared.ts'

/** The continuity rule (docs/channels/README.md, "Continuity"): which open case a threadless inbound message continues. */

const ruleOnce = perTransaction<Awaited<ReturnType<ConversationsDeps['workspaces']['continuityInTx']>>>()

/**
 * Which open cases of the contact a threadless message may continue: not
 * solved or closed, active within `windowDays`, on `channel` only or on
 * another channel only (`notChannel`) when set. The most recently active one
 * is continued (locked FOR UPDATE by the statement that looks for it:
 * messages.repository.ts, openUnlessContinuable).
 */
export interface ContinuitySearch {
  mode: string
  windowDays: number
  channel?: string | undefined
  notChannel?: string | undefined
}

/**
 * What to look for under the workspace's continuity rule (and the channel's
 * hint) for a threadless message on `channel`; null when the rule says a
 * new case without looking. Reads the rule once per transaction: a batch of
 * inbound messages (email) reads it once.
 */
export async function continuitySearchInTx(deps: ConversationsDeps, trx: Tx, ws: string, channel: string, hint: 'rule' | 'other-channels' | 'off'): Promise<ContinuitySearch | null> {
  if (hint === 'off') return null
  const rule = await ruleOnce(trx, ws, () => deps.workspaces.continuityInTx(trx, ws))
  if (rule.mode === 'off' || (hint === 'other-channels' && rule.mode !== 'any_channel')) return null
  return {
    mode: rule.mode,
    windowDays: rule.windowDays,
    ...(rule.mode === 'same_channel' && { channel }),
    ...(hint === 'other-channels' && { notChannel: channel }),
  }
}

/** Why a message on `channel` continued `conversation` (found under `search`): shown in the timeline. */
export function continuedReason(conversation: Row<'conversations'>, channel: string, search: ContinuitySearch): string {
  const where = conversation.channel === channel ? `on ${channel}` : `last on ${conversation.channel}, now ${channel}`
  return `continued the contact's open case #${conversation.number} (${where}), active within ${search.windowDays} days: continuity rule ${search.mode}`
}
