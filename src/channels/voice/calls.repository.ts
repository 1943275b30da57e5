import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'

/** The SQL of calls (`voice_calls`): one row per Twilio CallSid and inbox. Every query is scoped to its workspace. */

/** The call's row, locked for this transaction, created (status as given) on its first webhook. */
export async function lockCall(trx: Tx, workspaceId: string, c: { inboxId: string; callSid: string; from: string; to: string; status: string }): Promise<Row<'voice_calls'>> {
  await trx
    .insertInto('voice_calls')
    .values({ workspace_id: workspaceId, inbox_id: c.inboxId, call_sid: c.callSid, from_number: c.from, to_number: c.to, status: c.status, created_at: new Date(), updated_at: new Date() })
    .onConflict((oc) => oc.columns(['workspace_id', 'inbox_id', 'call_sid']).doNothing())
    .execute()
  return trx
    .selectFrom('voice_calls')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('inbox_id', '=', c.inboxId)
    .where('call_sid', '=', c.callSid)
    .forUpdate()
    .executeTakeFirstOrThrow()
}

export function updateCall(
  trx: Tx,
  workspaceId: string,
  id: string,
  patch: Partial<Pick<Row<'voice_calls'>, 'status' | 'outcome' | 'duration_seconds' | 'answered_at' | 'ended_at' | 'conversation_id' | 'contact_id'>>,
) {
  return trx.updateTable('voice_calls').set({ ...patch, updated_at: new Date() }).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}
