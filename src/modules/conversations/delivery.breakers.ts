import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhenResult, type CircuitBreakerPolicy } from 'cockatiel'
import type { SendResult } from './conversations.ports.ts'

/**
 * One circuit breaker per inbox (cockatiel), in this process's memory: after
 * `failures` temporary failures in a row the inbox's sends are not attempted
 * for `cooldownMs`, then one trial send decides whether it closes again. Only
 * temporary failures count: a refused recipient says nothing about the relay.
 */
export function createBreakers(opts: { failures: number; cooldownMs: number }) {
  const breakers = new Map<string, { policy: CircuitBreakerPolicy; openedAt: number }>()

  function breakerOf(inboxId: string) {
    let b = breakers.get(inboxId)
    if (!b) {
      const policy = circuitBreaker(
        handleWhenResult((r) => {
          const result = r as SendResult
          return !result.ok && result.retryable
        }),
        { halfOpenAfter: opts.cooldownMs, breaker: new ConsecutiveBreaker(opts.failures) },
      )
      const entry = { policy, openedAt: 0 }
      policy.onBreak(() => {
        entry.openedAt = Date.now()
      })
      breakers.set(inboxId, entry)
      b = entry
    }
    return b
  }

  return {
    /** Runs the send through the inbox's breaker; while it is open the result is a retryable CIRCUIT_OPEN without trying. */
    async send(inboxId: string, send: () => Promise<SendResult>): Promise<SendResult> {
      const b = breakerOf(inboxId)
      try {
        return await b.policy.execute(send)
      } catch (err) {
        if (!(err instanceof BrokenCircuitError)) throw err
        const until = new Date(b.openedAt + opts.cooldownMs).toISOString()
        return {
          ok: false,
          retryable: true,
          code: 'CIRCUIT_OPEN',
          message: `circuit open: the last ${opts.failures} sends through this inbox failed temporarily, so sending is paused until about ${until}`,
        }
      }
    },
    isOpen(inboxId: string): boolean {
      return breakers.get(inboxId)?.policy.state === CircuitState.Open
    },
  }
}
export type Breakers = ReturnType<typeof createBreakers>
