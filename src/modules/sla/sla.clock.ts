/**
 * The SLA module's sense of time, injected by the composition root
 * (`build({ slaClock })`): production uses the system clock; tests and the
 * benchmark use a manual one they move by hand. Never a NODE_ENV check.
 */
export interface SlaClock {
  /** The current instant. */
  now(): Date
  /** When a committed event happened on this clock (the system clock: the time it was recorded). */
  eventTime(recordedAt: Date): Date
}

export const systemClock: SlaClock = {
  now: () => new Date(),
  eventTime: (recordedAt) => recordedAt,
}

export interface ManualClock extends SlaClock {
  set(at: Date | string): void
  advance(minutes: number): void
}

/**
 * A clock that moves only when told: everything that happens "now" happens at
 * its time (an event handled while it reads Friday 16:55 happened then).
 */
export function manualClock(start: Date | string): ManualClock {
  let current = new Date(start)
  return {
    now: () => new Date(current),
    eventTime: () => new Date(current),
    set(at) {
      current = new Date(at)
    },
    advance(minutes) {
      current = new Date(current.getTime() + minutes * 60_000)
    },
  }
}
