import { sql } from 'kysely'
import { withSystem } from '../../platform/db/tenant.ts'
import type { Platform } from '../../platform/platform.ts'
import type { AgentsService } from './agents.service.ts'
import type { Handover } from './handover.service.ts'
import { lockRouting, routingActor } from './routing.engine.ts'
import * as repo from './routing.repository.ts'

export interface SweeperOptions {
  /** Users with a live realtime connection on this node now. */
  connectedUsers: () => Array<{ workspaceId: string; userId: string }>
  graceSeconds: number
  intervalMs: number
}

/**
 * The routing sweeper, every few seconds on every node:
 * 1. marks users connected to this node as seen (`last_seen_at`), so with
 *    several nodes an agent connected to any of them stays present;
 * 2. sets offline the agents not seen for PRESENCE_GRACE_SECONDS (which
 *    re-queues their un-started live work, like any change to offline);
 * 3. catches offer and overflow deadlines whose durable job was lost or ran
 *    early (the jobs are the normal path; this is the safety net).
 * The scans look across workspaces (system role); each action then runs in
 * its workspace's tenant transaction.
 */
export function createSweeper(p: Platform, agents: AgentsService, handover: Handover, opts: SweeperOptions) {
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null

  async function sweep(): Promise<void> {
    const connected = opts.connectedUsers()
    if (connected.length > 0) {
      const rows = sql.join(connected.map((c) => sql`(${c.workspaceId}::uuid, ${c.userId}::uuid)`))
      await withSystem(p.db, (trx) => sql`UPDATE agent_routing SET last_seen_at = now() WHERE (workspace_id, user_id) IN (${rows})`.execute(trx))
    }
    const grace = opts.graceSeconds
    const stale = await withSystem(p.db, (trx) =>
      trx
        .selectFrom('agent_routing')
        .select(['workspace_id', 'user_id'])
        .where('status', '<>', 'offline')
        .where(sql<boolean>`greatest(coalesce(last_seen_at, '-infinity'), status_changed_at) < now() - make_interval(secs => ${grace})`)
        .limit(200)
        .execute(),
    )
    for (const s of stale) {
      await p.tx(s.workspace_id, async (trx) => {
        await lockRouting(trx, s.workspace_id)
        // Still stale now that we hold the lock (the agent may have reconnected or set a status since the scan).
        if (!(await repo.staleAgents(trx, s.workspace_id, grace)).some((a) => a.user_id === s.user_id)) return
        await agents.setPresenceInTx(trx, routingActor(s.workspace_id), s.user_id, 'offline', `no realtime connection for ${grace} s`)
      })
    }
    const overdue = await withSystem(p.db, (trx) =>
      trx.selectFrom('routing_offers').select(['workspace_id', 'id']).where('state', '=', 'pending').where('expires_at', '<', sql<Date>`now() - interval '2 seconds'`).limit(200).execute(),
    )
    for (const o of overdue) await handover.expireOffer(o.workspace_id, o.id)
    const overflowing = await withSystem(p.db, (trx) =>
      sql<{ workspace_id: string; conversation_id: string; queue_id: string }>`
        SELECT e.workspace_id, e.conversation_id, e.queue_id FROM routing_entries e
          JOIN routing_queues q ON q.workspace_id = e.workspace_id AND q.id = e.queue_id
         WHERE e.state = 'waiting' AND q.overflow IS NOT NULL
           AND e.entered_queue_at + make_interval(secs => (q.overflow->>'afterMinutes')::float8 * 60 + 2) < now()
           AND (q.overflow->>'queueId' IS NOT NULL OR e.skill_level_drop < coalesce((q.overflow->>'skillLevelDrop')::int, 0))
         LIMIT 200`.execute(trx),
    )
    for (const e of overflowing.rows) await handover.overflow(e.workspace_id, e.conversation_id, e.queue_id)
  }

  const tick = () => {
    running = sweep()
      .catch((err: unknown) => p.logger.error({ err }, 'routing sweep failed'))
      .finally(() => {
        running = null
        if (timer) timer = setTimeout(tick, opts.intervalMs).unref()
      })
  }

  return {
    sweep,
    start() {
      if (timer) return
      timer = setTimeout(tick, opts.intervalMs).unref()
    },
    async stop() {
      const t = timer
      timer = null
      if (t) clearTimeout(t)
      await running
    },
  }
}
