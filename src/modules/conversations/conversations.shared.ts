import { type RawBuilder, sql } from 'kysely'
import { type Actor, can } from '../../platform/auth/actor.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import type { Row } from '../../platform/db/schema.ts'
import { AppError, forbidden, notFound } from '../../platform/errors.ts'
import { usersRepository } from '../users/index.ts'
import * as repo from './conversations.repository.ts'
import type { ContactsPort, InboxesPort, InboxRef, TaxonomyPort, WorkspacesPort } from './conversations.ports.ts'
import { type Conversation, type ConversationStatus, isReopen, toConversation } from './conversations.types.ts'

/** Helpers shared by the use-case files of this module (not exported from index.ts). */

export interface ConversationsDeps {
  contacts: ContactsPort
  inboxes: InboxesPort
  taxonomy: TaxonomyPort
  workspaces: WorkspacesPort
}

export const invalidField = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${field} ${message}`, [{ field, message }])

export async function loadConversation(trx: Tx, workspaceId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<Row<'conversations'>> {
  const row = await repo.findConversation(trx, workspaceId, id, opts)
  if (!row) throw notFound('Conversation')
  return row
}

export async function presentConversation(trx: Tx, workspaceId: string, row: Row<'conversations'>): Promise<Conversation> {
  const tags = await repo.tagsOf(trx, workspaceId, [row.id])
  return toConversation(row, tags.get(row.id) ?? [])
}

/**
 * Agents may take an unassigned conversation or let go of their own; anything
 * else (assigning a colleague, taking a colleague's case) needs
 * conversations:assign-any (supervisors and above).
 */
export function checkAssignPermission(actor: Actor, current: string | null, next: string | null): void {
  if (current === next || can(actor, 'conversations:assign-any')) return
  const self = actor.userId
  const takesUnassigned = current === null && next !== null && next === self
  const releasesOwn = next === null && current !== null && current === self
  if (!takesUnassigned && !releasesOwn)
    throw forbidden('Your role may only assign unassigned conversations to yourself, or unassign yourself')
}

/** The assignee must be an active user who handles conversations; the team must exist. */
export async function validateAssignmentInTx(trx: Tx, workspaceId: string, a: { assigneeId?: string | null | undefined; teamId?: string | null | undefined }): Promise<void> {
  if (a.assigneeId) {
    const user = await usersRepository.findUser(trx, workspaceId, a.assigneeId)
    if (!user || !user.active) throw invalidField('body.assigneeId', 'is not an active user of this workspace')
    if (user.role === 'auditor') throw invalidField('body.assigneeId', 'is an auditor; auditors cannot be assigned conversations')
  }
  if (a.teamId) {
    const team = await usersRepository.findTeam(trx, workspaceId, a.teamId)
    if (!team) throw invalidField('body.teamId', 'is not a team of this workspace')
  }
}

/** An inbox a message may use: it exists in the workspace and is active. */
export async function usableInbox(deps: ConversationsDeps, trx: Tx, workspaceId: string, inboxId: string, field: string): Promise<InboxRef> {
  const inbox = await deps.inboxes.getInTx(trx, workspaceId, inboxId)
  if (!inbox) throw invalidField(field, 'is not an inbox of this workspace')
  if (!inbox.active) throw new AppError('UNPROCESSABLE', `Inbox ${inbox.id} is inactive`, { inboxId: inbox.id })
  return inbox
}

/** The time an action records: now() (the transaction's), or the actor's `occurredAt` when it records history. */
export const nowFor = (actor: Actor): RawBuilder<Date> =>
  actor.occurredAt ? sql<Date>`${actor.occurredAt.toISOString()}::timestamptz` : sql<Date>`now()`

/** The columns a status change sets besides `status` (all in the same update). */
export function statusChangeSet(row: Row<'conversations'>, to: ConversationStatus, now: RawBuilder<Date> = sql<Date>`now()`): repo.ConversationSet {
  const from = row.status as ConversationStatus
  const set: repo.ConversationSet = { status: to }
  if (to === 'solved') set.solved_at = now
  if (to === 'closed') set.closed_at = now
  if (isReopen(from, to)) {
    set.reopened_at = now
    set.reopen_count = row.reopen_count + 1
    // No longer solved: resolution time counts again from here (events keep the history).
    set.solved_at = null
  }
  return set
}
