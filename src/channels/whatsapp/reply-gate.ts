import type { ReplyFacts, ReplyRefusal } from '../channel.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { listTemplates } from './templates.repository.ts'
import { windowState } from './window.ts'

/**
 * WhatsApp's reply gate (ChannelDefinition.replyGate): free text reaches the
 * customer only within 24 hours of their last message through this number.
 * Outside it the reply is refused when it is requested, naming the inbox's
 * approved templates, which may be sent whatever the window.
 */
export async function whatsappReplyGate(trx: Tx, facts: ReplyFacts): Promise<ReplyRefusal | null> {
  const window = windowState(facts.lastInboundAt)
  if (window.open) return null
  const approved = (await listTemplates(trx, facts.workspaceId, facts.inboxId)).filter((t) => t.status === 'approved')
  const why = window.closesAt
    ? `the 24-hour customer-service window closed at ${window.closesAt} (the customer last wrote at ${window.lastCustomerMessageAt})`
    : 'the customer has not written to this WhatsApp number yet, so no customer-service window is open'
  const templates = approved.length
    ? `send one of this inbox's approved templates instead (POST /api/v1/conversations/{id}/whatsapp-template): ${approved.map((t) => `${t.name} (${t.language})`).join(', ')}`
    : 'send an approved template instead (POST /api/v1/conversations/{id}/whatsapp-template); this inbox has none approved yet: record one under /api/v1/inboxes/{id}/whatsapp-templates'
  return {
    code: 'WHATSAPP_WINDOW_CLOSED',
    message: `WhatsApp refuses free text here: ${why}. ${templates[0]?.toUpperCase()}${templates.slice(1)}.`,
    details: { ...window, inboxId: facts.inboxId, templates: approved.map((t) => ({ id: t.id, name: t.name, language: t.language })) },
  }
}
