import type { Tx } from '../../platform/db/tenant.ts'

/** The SQL of outbound delivery (see delivery.service.ts). Every query is scoped to its workspace. */

export function findOutbound(trx: Tx, workspaceId: string, messageId: string) {
  return trx
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', messageId)
    .where('direction', '=', 'outbound')
    .executeTakeFirst()
}

/** The customer's latest message through that inbox that has a provider id: what a reply answers. */
export function lastInboundWithProviderId(trx: Tx, workspaceId: string, conversationId: string, inboxId: string) {
  return trx
    .selectFrom('messages')
    .select(['provider_message_id', 'metadata', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .where('inbox_id', '=', inboxId)
    .where('direction', '=', 'inbound')
    .where('provider_message_id', 'is not', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Attachments of a message with their blob keys (the API view hides the keys). */
export function attachmentFiles(trx: Tx, workspaceId: string, messageId: string) {
  return trx
    .selectFrom('attachments')
    .select(['filename', 'content_type', 'blob_key', 'size'])
    .where('workspace_id', '=', workspaceId)
    .where('message_id', '=', messageId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}
