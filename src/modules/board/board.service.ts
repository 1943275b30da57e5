import { type Actor, authorize } from '../../platform/auth/actor.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './board.repository.ts'
import type { Board } from './board.types.ts'

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)

/**
 * The live board, read in one transaction. Each of its five queries sees its
 * own snapshot (READ COMMITTED on PostgreSQL), so while cases are being
 * created the totals and the per-inbox rows may differ by those few; the next
 * refresh catches up. Clients refresh it on conversation events.
 */
export function createBoardService(p: Platform) {
  return {
    async get(actor: Actor): Promise<Board> {
      authorize(actor, 'board:read')
      const ws = actor.workspaceId
      const s = await p.tx(actor, async (trx) => ({
        totals: await repo.statusTotals(trx, ws),
        inboxes: await repo.byInbox(trx, ws),
        teams: await repo.byTeam(trx, ws),
        waiting: await repo.longestWaiting(trx, ws, 10),
        agents: await repo.agentLoad(trx, ws),
      }))
      return {
        generatedAt: new Date().toISOString(),
        totals: { open: Number(s.totals?.open ?? 0), unassigned: Number(s.totals?.unassigned ?? 0), pending: Number(s.totals?.pending ?? 0), onHold: Number(s.totals?.on_hold ?? 0) },
        inboxes: s.inboxes.map((r) => ({ inboxId: r.id, name: r.name, channel: r.channel, open: Number(r.open), unassigned: Number(r.unassigned), oldestWaitingSince: iso(r.oldest) })),
        teams: s.teams.map((r) => ({ teamId: r.id, name: r.name ?? 'No team', open: Number(r.open), unassigned: Number(r.unassigned), oldestWaitingSince: iso(r.oldest) })),
        longestWaiting: s.waiting.map((r) => ({
          conversationId: r.id,
          number: Number(r.number),
          subject: r.subject,
          priority: r.priority,
          inboxId: r.inbox_id,
          teamId: r.team_id,
          assigneeId: r.assignee_id,
          waitingSince: new Date(r.since).toISOString(),
        })),
        agents: s.agents.map((r) => ({
          userId: r.id,
          name: r.name,
          role: r.role,
          presence: r.presence as Board['agents'][number]['presence'],
          presenceSince: iso(r.presence_since),
          open: Number(r.open),
          active: Number(r.active),
          load: r.load,
          capacity: r.capacity,
        })),
      }
    },
  }
}
export type BoardService = ReturnType<typeof createBoardService>
