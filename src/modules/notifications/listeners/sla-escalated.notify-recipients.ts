import type { DatabaseListener } from '../../../platform/events/events.ts'
import type { NotificationEmail } from '../notification-email.ts'
import * as repo from '../notifications.repository.ts'
import { notifyInTx } from '../notifications.service.ts'

interface EscalationPayload {
  policyName?: string
  clock?: string
  percent?: number | null
  level?: number
  /** Resolved by the SLA module when the level was reached (src/modules/sla/escalation-recipients.ts). */
  notify?: Array<{ userId: string; as: string; message: string | null }>
}

const clockNames: Record<string, string> = { first_response: 'first response', next_response: 'next response', resolution: 'resolution' }
const roles: Record<string, string> = { assignee: 'its assignee', team_lead: 'a team lead', supervisor: 'a supervisor', team_member: 'a member of its team', user: 'named in the policy' }

/**
 * An SLA escalation level that notifies people: each recipient named in the
 * `sla.escalated` event gets an in-app notification (stored, and pushed live
 * on their `notifications` topic) and an email, queued in the same
 * transaction. Once per (event, user): a replayed event adds nothing.
 */
export function notifyEscalationListener(email: NotificationEmail): DatabaseListener {
  return {
    id: 'notifications.notify-sla-escalation',
    types: ['sla.escalated'],
    async handle(event, trx) {
      const e = event.payload as EscalationPayload
      if (!e.notify?.length || !event.conversationId) return
      const ws = event.workspaceId
      const conv = await repo.findConversationTitle(trx, ws, event.conversationId)
      const title = `#${conv?.number ?? '?'}${conv?.subject ? ` ${conv.subject}` : ''}`
      const clock = clockNames[e.clock ?? ''] ?? e.clock ?? 'SLA'
      const at = typeof e.percent === 'number' ? ` at ${e.percent} % of its target` : ''
      for (const r of e.notify) {
        const user = await repo.findUserName(trx, ws, r.userId)
        if (!user?.active) continue
        const text = `SLA escalation (level ${e.level ?? 1}${e.policyName ? `, ${e.policyName}` : ''}) on ${title}: ${clock}${at}. You are notified as ${roles[r.as] ?? r.as}.${r.message ? ` ${r.message}` : ''}`
        const n = await notifyInTx(trx, ws, { userId: r.userId, kind: 'sla_escalation', conversationId: event.conversationId, messageId: null, actorId: null, actorName: 'SLA', text, sourceEventId: event.id })
        if (n) await email.queueInTx(trx, ws, n.id, user.email)
      }
    },
  }
}
