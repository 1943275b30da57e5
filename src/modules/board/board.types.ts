import { z } from 'zod'
import { presenceStatuses } from '../routing/index.ts'

const counts = { open: z.number().int(), unassigned: z.number().int(), oldestWaitingSince: z.string().nullable() }

/** The supervisor's live board: where the work is and who carries it. */
export const boardSchema = z
  .object({
    generatedAt: z.string(),
    /** Status open, and of those nobody assigned; pending and on_hold are waiting on someone else. */
    totals: z.object({ open: z.number().int(), unassigned: z.number().int(), pending: z.number().int(), onHold: z.number().int() }),
    inboxes: z.array(z.object({ inboxId: z.uuid(), name: z.string(), channel: z.string(), ...counts })),
    /** teamId null: open conversations without a team. */
    teams: z.array(z.object({ teamId: z.uuid().nullable(), name: z.string(), ...counts })),
    /** Open conversations, longest since the customer last wrote first (up to 10). */
    longestWaiting: z.array(
      z.object({
        conversationId: z.uuid(),
        number: z.number().int(),
        subject: z.string().nullable(),
        priority: z.string(),
        inboxId: z.uuid(),
        teamId: z.uuid().nullable(),
        assigneeId: z.uuid().nullable(),
        waitingSince: z.string(),
      }),
    ),
    /** Active users who may work cases, with their presence and load: assigned open, and open + pending + on hold, in all and per channel. */
    agents: z.array(
      z.object({
        userId: z.uuid(),
        name: z.string(),
        role: z.string(),
        /** The routing presence; `offline` for users who never set one. */
        presence: z.enum(presenceStatuses),
        presenceSince: z.string().nullable(),
        open: z.number().int(),
        active: z.number().int(),
        /** Active cases (open, pending, on hold) per channel; channels without any are left out. */
        load: z.record(z.string(), z.number().int()),
        /** How many active cases routing gives the agent per channel (PUT /users/{id}/routing); absent: none. */
        capacity: z.record(z.string(), z.number().int()),
      }),
    ),
  })
  .meta({ id: 'Board' })
export type Board = z.infer<typeof boardSchema>
