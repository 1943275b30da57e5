import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'

/** SQL of moving messages between conversations (move.service.ts). */

/** Re-files a message under another conversation; its attachments follow (they reference the message). */
export function setMessageConversation(trx: Tx, workspaceId: string, messageId: string, conversationId: string) {
  return trx
    .updateTable('messages')
    .set({ conversation_id: conversationId })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', messageId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function countMessages(trx: Tx, workspaceId: string, conversationId: string): Promise<number> {
  const r = await trx
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

/**
 * Recomputes the activity timestamps a move changes from the messages the
 * conversation now holds. first_response_at is left alone: it is SLA history
 * (when an agent first answered), not a property of the current messages.
 */
export function refreshActivity(trx: Tx, workspaceId: string, conversationId: string) {
  const of = (direction: string | null, agg: 'max' | 'min') =>
    sql<Date | null>`(select ${sql.raw(agg)}(m.created_at) from messages m where m.workspace_id = ${workspaceId} and m.conversation_id = ${conversationId}${direction ? sql` and m.direction = ${direction}` : sql``})`
  return trx
    .updateTable('conversations')
    .set({ last_message_at: of(null, 'max'), last_customer_message_at: of('inbound', 'max'), first_inbound_at: of('inbound', 'min'), updated_at: sql`now()` })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', conversationId)
    .returningAll()
    .executeTakeFirstOrThrow()
}
