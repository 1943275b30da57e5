import type { EventBus } from '../../../platform/events/bus.ts'
import type { Listener } from '../../../platform/events/events.ts'

/**
 * Hands every dispatched (so committed) event to the bus, which fans it out to
 * the WebSocket connections of this node. At least once: a crash between
 * publishing and recording the run publishes the event again, and clients
 * de-duplicate by event id. It touches no database, so it runs without a
 * transaction and its runs are recorded once per dispatcher batch.
 */
export function publishToBusListener(bus: EventBus): Listener {
  return {
    id: 'realtime.publish',
    types: '*',
    database: false,
    async handle(event) {
      await bus.publish(event)
    },
  }
}
