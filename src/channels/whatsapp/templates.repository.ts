import type { Tx } from '../../platform/db/tenant.ts'
import type { NewRow, Row, RowUpdate } from '../../platform/db/schema.ts'

export const listTemplates = (trx: Tx, ws: string, inboxId: string): Promise<Row<'whatsapp_templates'>[]> =>
  trx.selectFrom('whatsapp_templates').selectAll().where('workspace_id', '=', ws).where('inbox_id', '=', inboxId).orderBy('name').orderBy('language').execute()

export const findTemplate = (trx: Tx, ws: string, inboxId: string, id: string): Promise<Row<'whatsapp_templates'> | undefined> =>
  trx.selectFrom('whatsapp_templates').selectAll().where('workspace_id', '=', ws).where('inbox_id', '=', inboxId).where('id', '=', id).executeTakeFirst()

export const findTemplateByName = (trx: Tx, ws: string, inboxId: string, name: string, language: string): Promise<Row<'whatsapp_templates'> | undefined> =>
  trx.selectFrom('whatsapp_templates').selectAll().where('workspace_id', '=', ws).where('inbox_id', '=', inboxId).where('name', '=', name).where('language', '=', language).executeTakeFirst()

/** Null when the inbox already has this name in this language. */
export const insertTemplate = (trx: Tx, ws: string, values: Omit<NewRow<'whatsapp_templates'>, 'workspace_id'>): Promise<Row<'whatsapp_templates'> | undefined> =>
  trx
    .insertInto('whatsapp_templates')
    .values({ ...values, workspace_id: ws })
    .onConflict((oc) => oc.columns(['workspace_id', 'inbox_id', 'name', 'language']).doNothing())
    .returningAll()
    .executeTakeFirst()

export const updateTemplate = (trx: Tx, ws: string, id: string, values: RowUpdate<'whatsapp_templates'>): Promise<Row<'whatsapp_templates'> | undefined> =>
  trx.updateTable('whatsapp_templates').set({ ...values, updated_at: new Date() }).where('workspace_id', '=', ws).where('id', '=', id).returningAll().executeTakeFirst()

export const deleteTemplate = async (trx: Tx, ws: string, id: string): Promise<boolean> =>
  (await trx.deleteFrom('whatsapp_templates').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst()).numDeletedRows > 0n

/** WhatsApp Manager changed a template's status (its webhook): recorded on the inbox's template of that name and language, if any. */
export const setTemplateStatus = async (trx: Tx, ws: string, inboxId: string, name: string, language: string, status: string): Promise<boolean> =>
  (await trx
    .updateTable('whatsapp_templates')
    .set({ status, updated_at: new Date() })
    .where('workspace_id', '=', ws)
    .where('inbox_id', '=', inboxId)
    .where('name', '=', name)
    .where('language', '=', language)
    .executeTakeFirst()).numUpdatedRows > 0n

/** The WhatsApp inbox a conversation's customer last wrote through, and when (their message's own time). */
export async function lastWhatsappInbound(trx: Tx, ws: string, conversationId: string, inboxId?: string): Promise<{ inboxId: string; receivedAt: string | null } | null> {
  let q = trx
    .selectFrom('messages')
    .select(['inbox_id', 'metadata', 'created_at'])
    .where('workspace_id', '=', ws)
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'inbound')
    .where('channel', '=', 'whatsapp')
  if (inboxId) q = q.where('inbox_id', '=', inboxId)
  const row = await q.orderBy('created_at', 'desc').limit(1).executeTakeFirst()
  if (!row?.inbox_id) return null
  const at = (row.metadata as { receivedAt?: unknown }).receivedAt
  return { inboxId: row.inbox_id, receivedAt: typeof at === 'string' ? at : row.created_at.toISOString() }
}

/** The conversation's inbox and channel, or undefined when it is not in the workspace. */
export const conversationInbox = (trx: Tx, ws: string, conversationId: string) =>
  trx.selectFrom('conversations').select(['inbox_id', 'channel']).where('workspace_id', '=', ws).where('id', '=', conversationId).executeTakeFirst()
