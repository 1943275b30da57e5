import type { Tx } from '../../../platform/db/tenant.ts'
import type { DomainEvent, Listener } from '../../../platform/events/events.ts'
import type { Clocks } from '../clocks.service.ts'
import type { SlaClock } from '../sla.clock.ts'
import { clockInputs, factEventTypes, factOf, type StoredFact } from '../sla.repository.ts'

/**
 * Keeps a conversation's SLA clocks current: records the fact an event is
 * (received, customer message, agent reply, status) at its time on the SLA
 * clock, and re-evaluates — also on changes that may change which policy
 * matches (priority, tags, category, channel, inbox). Safe to run twice: a
 * fact is keyed by what it is about, and crossings are stored once.
 *
 * Several events (a create's `conversation.created` and `message.received`,
 * or a batch of creates) are handled together: one statement reads the
 * active policies and the cases that have anything to evaluate — in a
 * workspace without policies that is all it costs — and each conversation is
 * evaluated once with all its new facts. The evaluation reads the case as it
 * is now, so once is what evaluating after each event in turn ends with.
 */
export function trackClocksListener(clocks: Clocks, clock: SlaClock): Listener {
  async function track(trx: Tx, events: DomainEvent[]): Promise<void> {
    const byConversation = new Map<string, DomainEvent[]>()
    for (const e of events) if (e.conversationId) byConversation.set(e.conversationId, [...(byConversation.get(e.conversationId) ?? []), e])
    const ws = events[0]?.workspaceId
    if (!ws || byConversation.size === 0) return
    const { policies, cases } = await clockInputs(trx, ws, [...byConversation.keys()])
    const byId = new Map(cases.map((c) => [c.id, c]))
    for (const [id, mine] of byConversation) {
      const attrs = byId.get(id)
      if (!attrs) continue
      const facts = mine.map((e) => factOf(e, clock.eventTime(new Date(e.createdAt)))).filter((f): f is StoredFact => f !== null)
      await clocks.recomputeInTx(trx, ws, attrs.id, {
        facts,
        // The first event is where one-by-one handling would have matched the policy (it too reads the case as it is now).
        trigger: mine[0]?.type ?? 'event',
        // A conversation first seen after its creation (older than the SLA module) gets its history from the tables.
        backfill: !mine.some((e) => e.type === 'conversation.created'),
        known: { policies, attrs },
      })
    }
  }
  return {
    id: 'sla.track-clocks',
    types: [...factEventTypes, 'conversation.updated', 'conversation.channel-switched', 'message.moved'],
    handle: (event, trx) => track(trx, [event]),
    handleMany: (events, trx) => track(trx, events),
  }
}
