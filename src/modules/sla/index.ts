import type { ModuleParts, Platform } from '../../platform/platform.ts'
import type { ConversationsService } from '../conversations/index.ts'
import { createCalendars } from './calendars.service.ts'
import { createClocks, SLA_TIMER_QUEUE, type SlaTimerJob } from './clocks.service.ts'
import { trackClocksListener } from './listeners/conversation-events.track-clocks.ts'
import { enqueueRematchListener, SLA_REMATCH_QUEUE, type SlaRematchJob } from './listeners/sla-config-changed.enqueue-rematch.ts'
import { runEscalationActionsListener } from './listeners/sla-escalated.run-actions.ts'
import { createPolicies } from './policies.service.ts'
import { type SlaClock, systemClock } from './sla.clock.ts'
import type { SlaPorts } from './sla.ports.ts'
import { slaRoutes } from './sla.routes.ts'

export { manualClock, systemClock, type ManualClock, type SlaClock } from './sla.clock.ts'
export type { SlaPorts } from './sla.ports.ts'
export { slaEventTypes } from './clocks.service.ts'
export { slaSummaries } from './sla.summary.ts'
export { compileCalendar, elapsedTime, type CalendarDefinition, type TimeCounter } from './calendar.ts'
export { evaluate } from './clock-engine.ts'
/** For other modules (routing orders queues by time to SLA breach). */
export { nextBreachAt } from './sla.repository.ts'

/**
 * Service levels: business calendars, ordered SLA policies, per-conversation
 * clocks (first response, next response, resolution) with pauses, durable
 * warning/breach timers and escalation matrices, simulation and "what if".
 */
export function createSlaModule(p: Platform, deps: { conversations: ConversationsService; clock?: SlaClock; ports?: SlaPorts }) {
  const clock = deps.clock ?? systemClock
  const clocks = createClocks(p, { clock, onNextBreach: deps.ports?.nextBreachChanged })
  const calendars = createCalendars(p)
  const policies = createPolicies(p, { clocks, clock })
  const log = p.logger.child({ component: 'sla' })
  return {
    service: {
      calendars,
      policies,
      clocks,
      /** Re-evaluates every conversation whose next check is due by the SLA clock (runs at start; tests call it after moving a manual clock). */
      runDueChecks: () => clocks.runDueChecks(),
    },
    listeners: [trackClocksListener(clocks, clock), enqueueRematchListener(p.jobs), runEscalationActionsListener(p, { conversations: deps.conversations, ports: deps.ports ?? {} })],
    routes: slaRoutes({ calendars, policies, clocks }),
    async start() {
      await p.jobs.work<SlaTimerJob>(SLA_TIMER_QUEUE, (job) => clocks.onTimer(job))
      await p.jobs.work<SlaRematchJob>(SLA_REMATCH_QUEUE, async (job) => {
        const n = await clocks.rematch(job.workspaceId, job.reason, job.changedAt ? new Date(job.changedAt) : undefined)
        log.info({ workspaceId: job.workspaceId, conversations: n, reason: job.reason }, 'SLA clocks re-evaluated')
      })
      clocks.timersStarted()
      // Wake-ups whose time passed while no process ran (or a clock jumped): their jobs may still be queued; this is quicker and idempotent.
      void clocks.runDueChecks().catch((err) => log.error({ err }, 'SLA due checks at start failed'))
    },
  } satisfies ModuleParts
}
export type SlaModule = ReturnType<typeof createSlaModule>
