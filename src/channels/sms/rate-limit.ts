/**
 * A per-sender limit on inbound messages (a flood from one number, or a loop
 * with another auto-responder): at most `perMinute` messages per key in a
 * sliding minute, in this process's memory. A repeat of a message already
 * counted (the same provider id: a retry or replay) is not counted again.
 * `take` answers 0 when the message may pass, else the seconds until it would.
 */
export function createSenderLimiter(perMinute: number, windowMs = 60_000) {
  const hits = new Map<string, Array<{ at: number; id: string }>>()
  let sweptAt = Date.now()
  return {
    take(key: string, id: string, now = Date.now()): number {
      // Forget idle senders now and then, so the map stays as small as the active set.
      if (now - sweptAt > windowMs) {
        for (const [k, list] of hits) if ((list.at(-1)?.at ?? 0) <= now - windowMs) hits.delete(k)
        sweptAt = now
      }
      const list = (hits.get(key) ?? []).filter((h) => h.at > now - windowMs)
      hits.set(key, list)
      if (list.some((h) => h.id === id)) return 0
      if (list.length >= perMinute) return Math.max(1, Math.ceil(((list[0]?.at ?? now) + windowMs - now) / 1000))
      list.push({ at: now, id })
      return 0
    },
  }
}
