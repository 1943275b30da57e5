import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'

/** The conversation of one of our outbound messages (the id inside our Message-ID), if it is this contact's. */
export async function conversationOfMessage(trx: Tx, workspaceId: string, messageId: string, contactId: string): Promise<string | null> {
  const r = await trx
    .selectFrom('messages as m')
    .innerJoin('conversations as c', (j) => j.onRef('c.id', '=', 'm.conversation_id').onRef('c.workspace_id', '=', 'm.workspace_id'))
    .select('c.id')
    .where('m.workspace_id', '=', workspaceId)
    .where('m.id', '=', messageId)
    .where('c.contact_id', '=', contactId)
    .executeTakeFirst()
  return r?.id ?? null
}

/** The contact's most recently active conversation: where a bounce is shown when the bounced mail is not named. */
export async function latestConversationOf(trx: Tx, workspaceId: string, contactId: string): Promise<string | null> {
  const r = await trx
    .selectFrom('conversations')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy(sql`coalesce(last_message_at, created_at)`, 'desc')
    .limit(1)
    .executeTakeFirst()
  return r?.id ?? null
}
