import { z } from 'zod'
import type { Row } from '../../platform/db/schema.ts'

export const suggestionStatuses = ['open', 'accepted', 'rejected'] as const
export type SuggestionStatus = (typeof suggestionStatuses)[number]

/**
 * Why two contacts may be one person, as the channel saw it: an unverified
 * claim (`verified: false`) such as an email typed in a chat's pre-chat form.
 * `identity` is the claimed identity that belongs to the other contact.
 */
export interface MergeEvidence {
  /** Where the claim came from, e.g. `chat.pre-chat-form`, `chat.identify-unsigned`. */
  source: string
  identity?: { kind: string; value: string } | undefined
  /** For people, shown with the suggestion. */
  detail?: string | undefined
  /** The conversation or inbox the claim was made in, when there is one. */
  conversationId?: string | undefined
  inboxId?: string | undefined
}

export const evidenceSchema = z
  .object({
    source: z.string(),
    identity: z.object({ kind: z.string(), value: z.string() }).optional(),
    detail: z.string().optional(),
    conversationId: z.string().optional(),
    inboxId: z.string().optional(),
  })
  .meta({ id: 'MergeEvidence' })

export const suggestionSchema = z
  .object({
    id: z.uuid(),
    /** Accepting merges contact B into contact A (unless the agent picks the other way). */
    contactAId: z.uuid(),
    contactBId: z.uuid(),
    evidence: evidenceSchema,
    status: z.enum(suggestionStatuses),
    mergeId: z.uuid().nullable(),
    decidedBy: z.uuid().nullable(),
    decidedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'MergeSuggestion' })
export type MergeSuggestion = z.infer<typeof suggestionSchema>

export const toSuggestion = (r: Row<'contact_merge_suggestions'>): MergeSuggestion => ({
  id: r.id,
  contactAId: r.contact_a_id,
  contactBId: r.contact_b_id,
  evidence: r.evidence as MergeSuggestion['evidence'],
  status: r.status as SuggestionStatus,
  mergeId: r.merge_id,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at ? r.decided_at.toISOString() : null,
  createdAt: r.created_at.toISOString(),
})
