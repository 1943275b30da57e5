import type { Platform } from '../../platform/platform.ts'
import type { ConversationsDeps } from './conversations.shared.ts'
import { createIntake } from './intake.service.ts'
import { createMover } from './move.service.ts'
import { createProviderStatus } from './provider-status.service.ts'
import { createQueries } from './queries.service.ts'
import { createReplies } from './replies.service.ts'
import { createReplyRouting } from './reply-route.ts'
import { createReplyChannels } from './reply-channels.service.ts'
import { createUpdater } from './update.service.ts'

/**
 * The conversations use cases, one file per group: intake (new conversations
 * and inbound messages), replies (agent messages and their delivery), updates
 * (status, assignment, taxonomy, tags), moves (re-filing a message) and
 * queries (lists, timeline).
 */
export function createConversationsService(p: Platform, deps: ConversationsDeps, breakers: { isOpen(inboxId: string): boolean }) {
  const routing = createReplyRouting(deps, breakers)
  const updater = createUpdater(p, deps)
  const { changeInTx: _internal, ...updates } = updater
  const intake = createIntake(p, deps)
  const { openConversationInTx: _opener, ...intakeUseCases } = intake
  return {
    ...intakeUseCases,
    ...createMover(p, deps, intake),
    ...createReplies(p, deps, updater, routing),
    ...createReplyChannels(p, deps, routing),
    ...updates,
    ...createQueries(p, deps),
    ...createProviderStatus(p),
  }
}
export type ConversationsService = ReturnType<typeof createConversationsService>
