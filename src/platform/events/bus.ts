import { EventEmitter } from 'node:events'
import type { DomainEvent } from './events.ts'

/**
 * Fan-out of committed events to whatever is connected to this node (WebSocket
 * clients). In one process it is an EventEmitter; several nodes would put NATS
 * or Redis behind the same interface.
 */
export interface EventBus {
  publish(event: DomainEvent): Promise<void>
  subscribe(handler: (event: DomainEvent) => void): () => void
  close(): Promise<void>
}

export function createLocalBus(): EventBus {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  return {
    async publish(event) {
      emitter.emit('event', event)
    },
    subscribe(handler) {
      emitter.on('event', handler)
      return () => emitter.off('event', handler)
    },
    async close() {
      emitter.removeAllListeners()
    },
  }
}
