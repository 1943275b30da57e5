import { sql } from 'kysely'
import type { Tx } from '../../platform/db/tenant.ts'

/**
 * Full-text queries over the expression indexes of migration 0010-desk. Each
 * expression here must stay identical to its index's, or the index is not used.
 * Ranks use normalisation 1 (longer documents rank lower) and count titles
 * (subjects, names, identities) twice as much as message bodies.
 * `query` is a tsquery made by toPrefixQuery (letters, digits, `:*`, `&`).
 */
const subjectVec = sql`to_tsvector('simple', coalesce(c.subject, ''))`
const textVec = sql`to_tsvector('simple', m.text)`
const nameVec = sql`to_tsvector('simple', coalesce(k.name, ''))`
const identityVec = sql`to_tsvector('simple', regexp_replace(i.value, '[^[:alnum:]]+', ' ', 'g'))`
const headline = "MaxFragments=1, MaxWords=24, MinWords=8, StartSel=\"\", StopSel=\"\""

export interface ConversationHit {
  id: string
  number: string
  subject: string | null
  contact_id: string
  updated_at: Date
  rank: number
}

export async function searchConversations(trx: Tx, workspaceId: string, query: string | null, number: number | null, limit: number): Promise<ConversationHit[]> {
  const byText = query ? sql`${subjectVec} @@ to_tsquery('simple', ${query})` : sql`false`
  const rank = query ? sql`2 * ts_rank(${subjectVec}, to_tsquery('simple', ${query}), 1)` : sql`0`
  // An exact case number ranks above any text match.
  const byNumber = number !== null ? sql`c.number = ${number}` : sql`false`
  const { rows } = await sql<ConversationHit>`
    select c.id, c.number, c.subject, c.contact_id, c.updated_at,
           (case when ${byNumber} then 1.0 else 0 end + ${rank})::float8 as rank
    from conversations c
    where c.workspace_id = ${workspaceId} and (${byText} or ${byNumber})
    order by rank desc, c.updated_at desc, c.id desc
    limit ${limit}`.execute(trx)
  return rows
}

export interface MessageHit {
  id: string
  conversation_id: string
  contact_id: string
  number: string
  subject: string | null
  direction: string
  created_at: Date
  rank: number
  snippet: string
}

export async function searchMessages(trx: Tx, workspaceId: string, query: string, limit: number): Promise<MessageHit[]> {
  const { rows } = await sql<MessageHit>`
    select hit.*, c.number, c.subject, c.contact_id,
           ts_headline('simple', left(m.text, 20000), to_tsquery('simple', ${query}), ${headline}) as snippet
    from (
      select m.id, m.conversation_id, m.direction, m.created_at, ts_rank(${textVec}, to_tsquery('simple', ${query}), 1)::float8 as rank
      from messages m
      where m.workspace_id = ${workspaceId} and ${textVec} @@ to_tsquery('simple', ${query})
      order by rank desc, m.created_at desc
      limit ${limit}
    ) hit
    join messages m on m.id = hit.id and m.workspace_id = ${workspaceId}
    join conversations c on c.id = hit.conversation_id and c.workspace_id = ${workspaceId}
    order by hit.rank desc, hit.created_at desc`.execute(trx)
  return rows
}

export interface ContactHit {
  id: string
  name: string | null
  updated_at: Date
  rank: number
  identities: string[] | null
}

/** Contacts by name or by any identity (email, phone, social ids); merged-away contacts are left out. */
export async function searchContacts(trx: Tx, workspaceId: string, query: string, limit: number): Promise<ContactHit[]> {
  const { rows } = await sql<ContactHit>`
    with hits as (
      select k.id as contact_id, 2 * ts_rank(${nameVec}, to_tsquery('simple', ${query}), 1) as r
      from contacts k
      where k.workspace_id = ${workspaceId} and k.merged_into_id is null and ${nameVec} @@ to_tsquery('simple', ${query})
      union all
      select i.contact_id, 2 * ts_rank(${identityVec}, to_tsquery('simple', ${query}), 1) as r
      from contact_identities i
      where i.workspace_id = ${workspaceId} and ${identityVec} @@ to_tsquery('simple', ${query})
    ), best as (
      select contact_id, max(r)::float8 as rank from hits group by contact_id
    )
    select k.id, k.name, k.updated_at, best.rank,
           (select array_agg(i.raw_value order by i.created_at, i.kind, i.value) from contact_identities i
             where i.workspace_id = ${workspaceId} and i.contact_id = k.id) as identities
    from best join contacts k on k.id = best.contact_id and k.workspace_id = ${workspaceId}
    where k.merged_into_id is null
    order by best.rank desc, k.updated_at desc, k.id desc
    limit ${limit}`.execute(trx)
  return rows
}
