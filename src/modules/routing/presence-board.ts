import { z } from 'zod'
import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { page } from '../../platform/http/cursor.ts'
import { listQuery } from '../../platform/http/schemas.ts'
import type { Platform } from '../../platform/platform.ts'
import { type BoardRow, pageUsers } from './presence-board.repository.ts'
import * as repo from './routing.repository.ts'
import { agentRoutingSchema, presenceStatuses, type PresenceStatus } from './routing.types.ts'

/**
 * The supervisor's view of presence: every active user who works cases (not
 * auditors), with presence, its reason and since when, and per channel the
 * load against the capacity. Users never given a routing profile are
 * offline with no capacity. Scoped to the workspace like every query.
 */

export const presenceBoardQuery = listQuery.extend({
  status: z.enum(presenceStatuses).optional(),
  teamId: z.uuid().optional(),
})

export const agentPresenceSchema = agentRoutingSchema
  .extend({
    name: z.string(),
    email: z.string(),
    role: z.string(),
    /** Per channel the agent has capacity for, or holds cases on: load, capacity and free seats (never below 0). */
    channels: z.array(z.object({ channel: z.string(), load: z.number().int(), capacity: z.number().int(), free: z.number().int() })),
  })
  .meta({ id: 'AgentPresence' })
export type AgentPresence = z.infer<typeof agentPresenceSchema>

function toPresence(r: BoardRow, load: Record<string, number>): AgentPresence {
  const capacity = r.capacity ?? {}
  const names = [...new Set([...Object.keys(capacity), ...Object.keys(load)])].sort()
  return {
    userId: r.id,
    name: r.name,
    email: r.email,
    role: r.role,
    status: (r.status ?? 'offline') as PresenceStatus,
    reason: r.status_reason,
    statusChangedAt: (r.status_changed_at ?? new Date(0)).toISOString(),
    lastSeenAt: r.last_seen_at?.toISOString() ?? null,
    capacity,
    skills: r.skills ?? [],
    load,
    channels: names.map((channel) => {
      const l = load[channel] ?? 0
      const c = capacity[channel] ?? 0
      return { channel, load: l, capacity: c, free: Math.max(0, c - l) }
    }),
  }
}

export function createPresenceBoard(p: Platform) {
  return {
    /** `GET /routing/agents`: supervisors and admins (board:read). */
    async list(actor: Actor, q: z.output<typeof presenceBoardQuery>): Promise<{ items: AgentPresence[]; nextCursor: string | null }> {
      authorize(actor, 'board:read')
      const after = p.cursors.decode(q.cursor, 2)
      return p.tx(actor, async (trx) => {
        const rows = await pageUsers(trx, actor.workspaceId, { ...q, after })
        const { items, nextCursor } = page(rows, q.limit, (r) => p.cursors.encode([r.name, r.id]))
        const loads = await repo.loadsOf(trx, actor.workspaceId, items.map((r) => r.id))
        return { items: items.map((r) => toPresence(r, loads.get(r.id) ?? {})), nextCursor }
      })
    },
  }
}
export type PresenceBoard = ReturnType<typeof createPresenceBoard>
