import { type Actor, authorize } from '../../../platform/auth/actor.ts'
import { notFound } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import * as repo from './checkpoints.repository.ts'
import { type ImapMailbox, type MailboxStatus, toMailbox } from './imap.types.ts'

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

/** The IMAP mailboxes of a workspace and their health, as the poller last recorded it. */
export function createImapService(p: Pick<Platform, 'tx'>) {
  async function load(actor: Actor, inboxId?: string): Promise<ImapMailbox[]> {
    const ws = actor.workspaceId
    return p.tx(actor, async (trx) => {
      const inboxes = await repo.imapInboxes(trx, ws, inboxId)
      const ids = inboxes.map((i) => i.id)
      const [health, checkpoints] = await Promise.all([repo.listHealth(trx, ws, ids), repo.listCheckpoints(trx, ws, ids)])
      return inboxes.flatMap((inbox): ImapMailbox[] => {
        const m = toMailbox(inbox, null)
        if (!m) return []
        const h = health.find((x) => x.inbox_id === inbox.id)
        return [
          {
            inboxId: inbox.id,
            inboxName: inbox.name,
            address: m.address,
            active: inbox.active,
            host: m.host,
            port: m.port,
            user: m.user,
            folders: m.folders,
            backfillSince: iso(m.backfillSince),
            status: (h?.status ?? 'pending') as MailboxStatus,
            lastSuccessAt: iso(h?.last_success_at),
            lastAttemptAt: iso(h?.last_attempt_at),
            lastError: h?.last_error ?? null,
            lastErrorAt: iso(h?.last_error_at),
            consecutiveFailures: h?.consecutive_failures ?? 0,
            nextAttemptAt: iso(h?.next_attempt_at),
            checkpoints: checkpoints
              .filter((c) => c.inboxId === inbox.id)
              .map((c) => ({
                folder: c.folder,
                uidValidity: c.uidValidity,
                lastUid: c.lastUid,
                fetched: c.fetched,
                duplicates: c.duplicates,
                resyncs: c.resyncs,
                updatedAt: c.updatedAt.toISOString(),
              })),
          },
        ]
      })
    })
  }

  return {
    /** Every email inbox of the workspace with IMAP settings. */
    async list(actor: Actor): Promise<ImapMailbox[]> {
      authorize(actor, 'inboxes:read')
      return load(actor)
    },

    /** One inbox's IMAP mailbox; 404 if the inbox is not the workspace's or has no IMAP settings. */
    async get(actor: Actor, inboxId: string): Promise<ImapMailbox> {
      authorize(actor, 'inboxes:read')
      const [found] = await load(actor, inboxId)
      if (!found) throw notFound('IMAP mailbox')
      return found
    },
  }
}
export type ImapService = ReturnType<typeof createImapService>
