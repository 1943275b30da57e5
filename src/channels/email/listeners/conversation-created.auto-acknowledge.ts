import { sql } from 'kysely'
import { systemActor } from '../../../platform/auth/actor.ts'
import type { Tx } from '../../../platform/db/tenant.ts'
import { perTransaction } from '../../../platform/db/tx-memo.ts'
import type { DomainEvent, Listener } from '../../../platform/events/events.ts'
import type { ConversationsService } from '../../../modules/conversations/index.ts'
import type { EmailConfig } from '../config.ts'

/** Addresses no person reads: never acknowledged (RFC 3834 §2 asks the same of every responder). */
const robotAddress = /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|auto-?reply|auto-?responder|notifications?)([+._-].*)?@/i

const DEFAULT_WINDOW_MINUTES = 60

type Deps = { conversations: Pick<ConversationsService, 'addAutomaticMessageInTx'> }

/**
 * Sends the inbox's automatic acknowledgement when customer mail opens a new
 * conversation (`autoAcknowledge` in the inbox's settings). Never to an
 * automated sender: mail the classifier saw as automated only reaches a
 * conversation when an agent releases it, and its verdict is checked again
 * here, as are robot addresses (mailer-daemon, noreply…). At most one per
 * sender per inbox per `perSenderMinutes`. Safe to run twice: the run and the
 * message commit together in the dispatcher's transaction.
 */
export function autoAcknowledgeListener(deps: Deps): Listener {
  // Where the dispatcher runs several events in one transaction (PGlite), the inbox's settings are read once for them.
  const inboxOnce = perTransaction<{ config: unknown; active: boolean } | undefined>()
  return {
    id: 'email.auto-acknowledge',
    types: ['conversation.created'],
    // Only conversations opened by customer mail (the email intake acts as the system), not by an agent:
    // the dispatcher opens no transaction for the others.
    accepts: (event) => (event.payload as { channel?: string }).channel === 'email' && !!event.payload.inboxId && !!event.conversationId && event.actor.type === 'system',
    // On PostgreSQL a listener with handleMany joins the transaction the dispatcher shares for a new
    // case's first events (routing and SLA), instead of a transaction of its own per new case: with
    // acknowledgements off (the default) that is four round trips per mail fewer. Its own lock (the
    // sender's auto-ack key) then comes after the new case's rows; no transaction holding that key
    // waits for a lock of routing or SLA (it writes only its own new case's message), so no cycle.
    handleMany: async (events, trx) => {
      for (const event of events) await handle(event, trx)
    },
    handle: (event, trx) => handle(event, trx),
  }

  async function handle(event: DomainEvent, trx: Tx): Promise<void> {
    const payload = event.payload as { inboxId?: string; channel?: string }
    if (payload.channel !== 'email' || !payload.inboxId || !event.conversationId || event.actor.type !== 'system') return
    const ws = event.workspaceId
    const inboxId = payload.inboxId
    const inbox = await inboxOnce(trx, `${ws}:${inboxId}`, () => trx.selectFrom('inboxes').select(['config', 'active']).where('workspace_id', '=', ws).where('id', '=', inboxId).executeTakeFirst())
    const ack = (inbox?.config as EmailConfig | undefined)?.autoAcknowledge
    if (!inbox?.active || !ack?.enabled) return
    const first = await firstInbound(trx, ws, event.conversationId)
    const email = first?.metadata.email as { from?: { address?: string }; classification?: string; inboundEmailId?: string } | undefined
    const sender = email?.from?.address?.toLowerCase()
    if (!sender || robotAddress.test(sender) || email?.classification !== 'customer') return
    if (email.inboundEmailId && (await wasAutomated(trx, ws, email.inboundEmailId))) return
    // One sender at a time per inbox, so two conversations opening together cannot both be acknowledged.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`auto-ack:${ws}:${payload.inboxId}:${sender}`}, 0))`.execute(trx)
    if (await recentlyAcknowledged(trx, ws, payload.inboxId, sender, ack.perSenderMinutes ?? DEFAULT_WINDOW_MINUTES)) return
    await deps.conversations.addAutomaticMessageInTx(trx, systemActor(ws, 'auto-acknowledgement'), event.conversationId, {
      inboxId: payload.inboxId,
      text: ack.text,
      subject: ack.subject,
      metadata: { autoAcknowledgement: { to: sender } },
    })
  }
}

function firstInbound(trx: Tx, workspaceId: string, conversationId: string) {
  return trx
    .selectFrom('messages')
    .select(['metadata'])
    .where('workspace_id', '=', workspaceId)
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'inbound')
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst()
}

/** A released mail keeps what the classifier first said of it: automated mail stays unanswered. */
async function wasAutomated(trx: Tx, workspaceId: string, inboundEmailId: string): Promise<boolean> {
  const row = await trx.selectFrom('inbound_emails').select(['classification_details']).where('workspace_id', '=', workspaceId).where('id', '=', inboundEmailId).executeTakeFirst()
  const automatic = (row?.classification_details as { automaticClassification?: { classification?: string } } | null)?.automaticClassification
  return automatic !== undefined && automatic.classification !== 'customer'
}

async function recentlyAcknowledged(trx: Tx, workspaceId: string, inboxId: string, sender: string, minutes: number): Promise<boolean> {
  const row = await trx
    .selectFrom('messages')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('inbox_id', '=', inboxId)
    .where('direction', '=', 'outbound')
    .where(sql<boolean>`metadata->'autoAcknowledgement'->>'to' = ${sender}`)
    .where('created_at', '>', sql<Date>`now() - make_interval(mins => ${minutes})`)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
