import type { Omnidesk } from '../app.ts'
import type { ConversationStatus } from '../modules/conversations/index.ts'
import { type Actor, systemActor } from '../platform/auth/actor.ts'
import { AppError } from '../platform/errors.ts'
import type { DemoContact } from './people.ts'
import type { DemoChannel, PlannedConversation, Step } from './plan.ts'
import type { Progress } from './progress.ts'
import type { DemoSetup } from './setup.ts'

export interface ConversationCounts {
  conversations: number
  byChannel: Record<string, number>
  byStatus: Partial<Record<ConversationStatus, number>>
  messages: { inbound: number; outbound: number; note: number }
  assigned: number
  /** Handed to another agent along the way. */
  transferred: number
  /** Left where they were because the workspace requires fields the demo does not fill (case requirements). */
  stoppedByRequirements: number
}

/**
 * Plays each planned conversation through the conversations service, as the
 * channel (customer messages) and the demo staff (assignments, replies, notes,
 * status changes) would, each action at its planned time in the past
 * (`Actor.occurredAt`), so events, audit entries and timestamps are the ones
 * the API would have written.
 */
export async function playConversations(
  o: Omnidesk,
  workspaceId: string,
  setup: DemoSetup,
  contacts: DemoContact[],
  plans: PlannedConversation[],
  progress: Progress,
): Promise<ConversationCounts> {
  const s = o.services.conversations
  const counts: ConversationCounts = { conversations: 0, byChannel: {}, byStatus: {}, messages: { inbound: 0, outbound: 0, note: 0 }, assigned: 0, transferred: 0, stoppedByRequirements: 0 }
  const channelActor = (at: Date): Actor => ({ ...systemActor(workspaceId, 'demo loader'), occurredAt: at })
  const staffActor = (email: string, at: Date): Actor => {
    const user = setup.staff.get(email)
    if (!user) throw new Error(`demo staff ${email} was not created`)
    return { kind: 'user', workspaceId, userId: user.id, role: user.role, label: `${user.name} (demo)`, occurredAt: at }
  }
  progress.start('conversations', plans.length)
  for (const [n, plan] of plans.entries()) {
    const c = contacts[plan.contact]!
    // Customers with a second (work) address use it now and then.
    const who = (channel: DemoChannel) => (channel === 'sms' ? { name: c.name, phone: c.phone } : { name: c.name, email: c.emails[n % c.emails.length]! })
    const conv = await s.create(channelActor(plan.at), {
      inboxId: setup.inboxes[plan.channel].id,
      contact: who(plan.channel),
      subject: plan.subject ?? undefined,
      priority: plan.priority,
      message: { text: plan.text },
      tags: plan.tags,
      categoryId: setup.categories.get(plan.category),
      teamId: setup.teams.get(plan.team),
      ...(plan.assignee && { assigneeId: setup.staff.get(plan.assignee)!.id }),
    })
    counts.conversations++
    if (plan.assignee) counts.assigned++
    counts.messages.inbound++
    counts.byChannel[plan.channel] = (counts.byChannel[plan.channel] ?? 0) + 1
    let status: ConversationStatus = conv.status
    try {
      for (const step of plan.steps) status = (await playStep(step)) ?? status
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'REQUIRED_FIELDS_MISSING')) throw err
      counts.stoppedByRequirements++
    }
    counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1
    progress.tick()

    async function playStep(step: Step): Promise<ConversationStatus | undefined> {
      switch (step.kind) {
        case 'assign':
          counts.transferred++
          return (await s.update(staffActor(step.by, step.at), conv.id, { assigneeId: setup.staff.get(step.assignee)!.id })).status
        case 'reply':
          await s.addMessage(staffActor(step.by, step.at), conv.id, { text: step.text, ...(step.status && { status: step.status }) })
          counts.messages.outbound++
          return step.status
        case 'note':
          await s.addMessage(staffActor(step.by, step.at), conv.id, { text: step.text, private: true })
          counts.messages.note++
          return undefined
        case 'inbound': {
          const r = await s.ingestInbound(channelActor(step.at), { inboxId: setup.inboxes[step.channel].id, contact: who(step.channel), conversationId: conv.id, text: step.text })
          counts.messages.inbound++
          return r.conversation.status
        }
        case 'status':
          return (await s.update(staffActor(step.by, step.at), conv.id, { status: step.status })).status
      }
    }
  }
  progress.done()
  return counts
}
