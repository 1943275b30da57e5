import type { Omnidesk } from '../src/app.ts'
import { systemActor } from '../src/platform/auth/actor.ts'
import { appendEvent } from '../src/platform/events/events.ts'

/**
 * Appends one event in its own transaction (`p.tx`, as services do) and
 * returns its id: the newest event of that type in the workspace, read after
 * the commit (the outbox row is written just before commit).
 */
export async function appendTestEvent(omnidesk: Omnidesk, workspaceId: string, type: string, payload: Record<string, unknown> = {}): Promise<string> {
  const actor = systemActor(workspaceId, 'events test')
  await omnidesk.platform.tx(actor, (trx) => appendEvent(trx, actor, { type, payload }))
  const row = await omnidesk.platform.db.selectFrom('events').select('id').where('workspace_id', '=', workspaceId).where('type', '=', type).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
  return row.id
}
