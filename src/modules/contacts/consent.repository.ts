import type { Row } from '../../platform/db/schema.ts'
import type { Tx } from '../../platform/db/tenant.ts'

/**
 * A contact's consent to be messaged on a channel (`contact_consents`): one
 * row per contact and channel, the latest word (granted or withdrawn) with
 * where it came from (`keyword` STOP/START through an inbox, or an agent).
 * No row: the contact never said either way (messaging is allowed).
 */
export interface Consent {
  contactId: string
  channel: string
  status: 'granted' | 'withdrawn'
  source: string
  keyword: string | null
  identity: string | null
  inboxId: string | null
  changedAt: string
}

const toConsent = (r: Row<'contact_consents'>): Consent => ({
  contactId: r.contact_id,
  channel: r.channel,
  status: r.status,
  source: r.source,
  keyword: r.keyword,
  identity: r.identity,
  inboxId: r.inbox_id,
  changedAt: r.changed_at.toISOString(),
})

export async function findConsent(trx: Tx, workspaceId: string, contactId: string, channel: string): Promise<Consent | null> {
  const row = await trx.selectFrom('contact_consents').selectAll().where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).where('channel', '=', channel).executeTakeFirst()
  return row ? toConsent(row) : null
}

export async function listConsents(trx: Tx, workspaceId: string, contactId: string): Promise<Consent[]> {
  const rows = await trx.selectFrom('contact_consents').selectAll().where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId).orderBy('channel').execute()
  return rows.map(toConsent)
}

/** Records the contact's latest word on a channel; returns the previous status (null: none). */
export async function setConsent(
  trx: Tx,
  workspaceId: string,
  c: { contactId: string; channel: string; status: 'granted' | 'withdrawn'; source: string; keyword?: string | null; identity?: string | null; inboxId?: string | null },
): Promise<'granted' | 'withdrawn' | null> {
  const before = await trx
    .selectFrom('contact_consents')
    .select('status')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', c.contactId)
    .where('channel', '=', c.channel)
    .forUpdate()
    .executeTakeFirst()
  const values = { status: c.status, source: c.source, keyword: c.keyword ?? null, identity: c.identity ?? null, inbox_id: c.inboxId ?? null, changed_at: new Date() }
  await trx
    .insertInto('contact_consents')
    .values({ workspace_id: workspaceId, contact_id: c.contactId, channel: c.channel, ...values })
    .onConflict((oc) => oc.columns(['workspace_id', 'contact_id', 'channel']).doUpdateSet(values))
    .execute()
  return before?.status ?? null
}
