import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'
import { channels, type ConversationFilters, type ConversationSort, conversationSorts, conversationStatuses, priorities } from '../conversations/index.ts'

const idOrNone = z.union([z.uuid(), z.literal('none')])

/** The filters a view stores: the same names and values as GET /conversations takes. */
export const viewFiltersSchema = z
  .strictObject({
    status: z.enum(conversationStatuses).optional(),
    channel: z.enum(channels).optional(),
    inboxId: z.uuid().optional(),
    teamId: idOrNone.optional(),
    /** A user id, "me" (whoever uses the view) or "none" (unassigned). */
    assigneeId: z.union([z.uuid(), z.literal('none'), z.literal('me')]).optional(),
    priority: z.enum(priorities).optional(),
    tag: z.string().trim().min(1).max(64).optional(),
    categoryId: idOrNone.optional(),
  })
  .meta({ id: 'ViewFilters' })
export type ViewFilters = z.infer<typeof viewFiltersSchema>

export const viewSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    filters: viewFiltersSchema,
    sort: z.enum(conversationSorts),
    /** Shared views are visible to the whole workspace; changing them needs desk:share. */
    shared: z.boolean(),
    ownerId: z.uuid(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'SavedView' })
export type SavedView = z.infer<typeof viewSchema>

export interface NewView {
  name: string
  filters?: ViewFilters | undefined
  sort?: ConversationSort | undefined
  shared?: boolean | undefined
}
export type ViewPatch = Partial<{ name: string; filters: ViewFilters; sort: ConversationSort; shared: boolean }>

export const toView = (r: Row<'saved_views'>): SavedView => ({
  id: r.id,
  name: r.name,
  // Stored filters were validated on the way in; parsing again drops anything a later version no longer knows.
  filters: viewFiltersSchema.catch({}).parse(r.filters),
  sort: (conversationSorts as readonly string[]).includes(r.sort) ? (r.sort as ConversationSort) : 'recent',
  shared: r.shared,
  ownerId: r.owner_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})

export const toListFilters = (v: SavedView): ConversationFilters => ({ ...v.filters })
