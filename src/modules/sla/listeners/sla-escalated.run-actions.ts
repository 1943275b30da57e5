import { systemActor } from '../../../platform/auth/actor.ts'
import { appendEvent } from '../../../platform/events/events.ts'
import type { DomainEvent, Listener } from '../../../platform/events/events.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type ConversationsService, priorities, type Priority } from '../../conversations/index.ts'
import type { ExplanationEntry } from '../clock-engine.ts'
import { storeEntries } from '../sla.repository.ts'
import type { ClockName, EscalationAction } from '../sla.types.ts'
import type { SlaPorts } from '../sla.ports.ts'

/**
 * Carries out an escalation level's actions after its `sla.escalated` event
 * committed. Notify actions need nothing here: the event names its
 * recipients, the notifications module notifies them (in the app and by
 * email) and the timeline shows it. `raise_priority` and `move_to_queue` go through the owning
 * modules' use cases, each in its own transaction, so this listener runs
 * without one (at least once: raising to a level and moving to a queue are
 * idempotent). Without the routing module, a move is recorded as
 * `sla.escalation-skipped`.
 */
export function runEscalationActionsListener(p: Platform, deps: { conversations: ConversationsService; ports: SlaPorts }): Listener {
  /** Recorded once per (escalation event, action), however often this listener runs for it. */
  const skipped = (event: DomainEvent, index: number, action: EscalationAction, reason: string) =>
    p.tx(event.workspaceId, async (trx) => {
      const conversationId = event.conversationId!
      const entry: ExplanationEntry = {
        at: new Date(event.createdAt),
        clock: (event.payload.clock as ClockName | undefined) ?? 'resolution',
        cycle: Number(event.payload.cycle ?? 1),
        kind: 'escalation-skipped',
        percent: typeof event.payload.percent === 'number' ? event.payload.percent : null,
        key: `skipped:${event.id}:${index}`,
        text: `Escalation action ${action.type} skipped: ${reason}`,
      }
      const policyId = typeof event.payload.policyId === 'string' ? event.payload.policyId : null
      const fresh = await storeEntries(trx, event.workspaceId, conversationId, policyId, [entry])
      if (!fresh.size) return
      await appendEvent(trx, systemActor(event.workspaceId, 'SLA'), {
        type: 'sla.escalation-skipped',
        conversationId,
        contactId: event.contactId,
        payload: { action, reason, level: event.payload.level, clock: entry.clock, cycle: entry.cycle },
      })
    })

  return {
    id: 'sla.run-escalation-actions',
    types: ['sla.escalated'],
    database: false,
    async handle(event) {
      const ws = event.workspaceId
      const id = event.conversationId
      if (!id) return
      const actions = (event.payload.actions ?? []) as EscalationAction[]
      const actor = systemActor(ws, 'SLA escalation')
      for (const [index, action] of actions.entries()) {
        try {
          if (action.type === 'raise_priority') {
            const conv = await deps.conversations.get(actor, id)
            const current = priorities.indexOf(conv.priority)
            const target = action.to ? priorities.indexOf(action.to) : Math.min(current + 1, priorities.length - 1)
            if (target > current) await deps.conversations.update(actor, id, { priority: priorities[target] as Priority })
          } else if (action.type === 'move_to_queue') {
            if (!deps.ports.moveToQueue) await skipped(event, index, action, 'routing is not available: no queue to move the case to')
            else await deps.ports.moveToQueue(actor, id, action.queueId, `${action.tier ? `[${action.tier}] ` : ''}${action.note}`)
          }
        } catch (err) {
          p.logger.warn({ err, conversationId: id, action: action.type }, 'SLA escalation action failed')
          await skipped(event, index, action, err instanceof Error ? err.message : String(err))
        }
      }
    },
  }
}
