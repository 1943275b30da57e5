import { useEffect, useState } from 'react'
import type { Conversation } from '../../api/client'

/** How long the customer has waited for an answer ("3 h"), or null when they are not waiting. */
export function waitingSince(c: Conversation, now = Date.now()): string | null {
  if (c.status === 'solved' || c.status === 'closed' || !c.lastCustomerMessageAt) return null
  // Waiting when the customer wrote last.
  if (c.lastMessageAt && c.lastMessageAt > c.lastCustomerMessageAt) return null
  return duration(now - Date.parse(c.lastCustomerMessageAt))
}

export function duration(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000))
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h`
  return `${Math.floor(h / 24)} d`
}

/** The current time, renewed every `everyMs`, so countdowns in a list move without a timer per row. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(timer)
  }, [everyMs])
  return now
}
