import type { Listener } from '../../../platform/events/events.ts'
import type { Clocks } from '../clocks.service.ts'
import type { SlaClock } from '../sla.clock.ts'
import { factEventTypes, factOf } from '../sla.repository.ts'

/**
 * Keeps a conversation's SLA clocks current: records the fact an event is
 * (received, customer message, agent reply, status) at its time on the SLA
 * clock, and re-evaluates — also on changes that may change which policy
 * matches (priority, tags, category, channel, inbox). Safe to run twice: a
 * fact is keyed by what it is about, and crossings are stored once.
 */
export function trackClocksListener(clocks: Clocks, clock: SlaClock): Listener {
  return {
    id: 'sla.track-clocks',
    types: [...factEventTypes, 'conversation.updated', 'conversation.channel-switched', 'message.moved'],
    async handle(event, trx) {
      if (!event.conversationId) return
      const fact = factOf(event, clock.eventTime(new Date(event.createdAt)))
      await clocks.recomputeInTx(trx, event.workspaceId, event.conversationId, {
        facts: fact ? [fact] : [],
        trigger: event.type,
        // A conversation first seen after its creation (older than the SLA module) gets its history from the tables.
        backfill: event.type !== 'conversation.created',
      })
    },
  }
}
