/**
 * A per-sender limit on inbound messages (a flood from one number, or a loop
 * with another auto-responder): at most `perMinute` messages per key in a
 * sliding minute, in this process's memory. `take` answers 0 when the message
 * may pass, else the seconds until it would.
 */
export function createSenderLimiter(perMinute: number, windowMs = 60_000) {
  const hits = new Map<string, number[]>()
  let sweptAt = Date.now()
  return {
    take(key: string, now = Date.now()): number {
      // Forget idle senders now and then, so the map stays as small as the active set.
      if (now - sweptAt > windowMs) {
        for (const [k, times] of hits) if ((times.at(-1) ?? 0) <= now - windowMs) hits.delete(k)
        sweptAt = now
      }
      const times = (hits.get(key) ?? []).filter((t) => t > now - windowMs)
      if (times.length >= perMinute) {
        hits.set(key, times)
        return Math.max(1, Math.ceil(((times[0] ?? now) + windowMs - now) / 1000))
      }
      times.push(now)
      hits.set(key, times)
      return 0
    },
  }
}
