import type { Conversation } from '../../api/client'
import { duration } from './waiting'

type Clock = 'firstResponse' | 'nextResponse' | 'resolution'
const clocks: Clock[] = ['firstResponse', 'nextResponse', 'resolution']

/**
 * The SLA a row counts down to: the earliest due time of the running clocks,
 * or the breach when one is breached. Null when no policy applies or no clock
 * runs (paused, fulfilled, stopped).
 */
export function slaCountdown(c: Conversation, now = Date.now()): { clock: Clock; dueAt: string; breached: boolean; left: string } | null {
  const sla = c.sla
  if (!sla || c.status === 'solved' || c.status === 'closed') return null
  let next: { clock: Clock; dueAt: string; breached: boolean } | null = null
  for (const clock of clocks) {
    const dueAt = sla[`${clock}DueAt`]
    if (!dueAt) continue
    const breached = sla[`${clock}Breached`] || Date.parse(dueAt) <= now
    if (!next || Date.parse(dueAt) < Date.parse(next.dueAt)) next = { clock, dueAt, breached }
  }
  return next && { ...next, left: duration(Date.parse(next.dueAt) - now) }
}
