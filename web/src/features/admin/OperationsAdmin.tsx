import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Link } from 'react-router'
import { api, type Schemas, unwrap } from '../../api/client'
import { useT } from '../../i18n'
import { realtime } from '../../realtime/realtime'
import { AdminPage, QueryState, when } from './admin.shared'

const mailStatuses = ['quarantined', 'received', 'processed', 'ignored'] as const

/** Inbound mail: everything accepted, quarantined mail retried or released. */
export function MailAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const [status, setStatus] = useState<(typeof mailStatuses)[number] | ''>('quarantined')
  const mail = useQuery({
    queryKey: ['admin', 'mail', status],
    queryFn: () => unwrap(api.GET('/api/v1/email/inbound', { params: { query: { limit: 100, ...(status && { status }) } } })),
  })
  const act = useMutation({
    mutationFn: (v: { id: string; action: 'retry' | 'release' }) =>
      v.action === 'retry'
        ? unwrap(api.POST('/api/v1/email/inbound/{id}/retry', { params: { path: { id: v.id } }, body: {} }))
        : unwrap(api.POST('/api/v1/email/inbound/{id}/release', { params: { path: { id: v.id } }, body: {} })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['admin', 'mail'] }),
  })
  return (
    <AdminPage title={t('admin.mail.title')}>
      <label>
        {t('admin.mail.status')}
        <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          <option value="">{t('admin.mail.all')}</option>
          {mailStatuses.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </label>
      <QueryState error={mail.error ?? act.error} pending={mail.isPending} />
      <table className="admin-table">
        <thead><tr><th>{t('admin.mail.received')}</th><th>{t('admin.mail.from')}</th><th>{t('admin.mail.subject')}</th><th>{t('admin.mail.status')}</th><th>{t('admin.common.actions')}</th></tr></thead>
        <tbody>
          {mail.data?.items.map((m) => (
            <tr key={m.id}>
              <td>{when(m.receivedAt)}</td>
              <td>{m.from}</td>
              <td>{m.conversationId ? <Link to={`/cases/${m.conversationId}`}>{m.subject ?? '—'}</Link> : (m.subject ?? '—')}</td>
              <td>{m.status}{m.classification ? ` (${m.classification})` : ''}{m.reason ? <span className="meta"> · {m.reason}</span> : null}</td>
              <td>
                <a href={`/api/v1/email/inbound/${m.id}/raw`}>{t('admin.mail.raw')}</a>{' '}
                {m.status === 'quarantined' && <button type="button" onClick={() => act.mutate({ id: m.id, action: 'retry' })}>{t('admin.mail.retry')}</button>}{' '}
                {(m.status === 'quarantined' || m.status === 'ignored') && <button type="button" onClick={() => act.mutate({ id: m.id, action: 'release' })}>{t('admin.mail.release')}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  )
}

/** The audit log, newest first, with the hash chain's verification. */
export function AuditAdmin() {
  const t = useT()
  const [action, setAction] = useState('')
  const events = useQuery({ queryKey: ['admin', 'audit', action], queryFn: () => unwrap(api.GET('/api/v1/audit-events', { params: { query: { limit: 100, ...(action && { action }) } } })) })
  const verify = useQuery({ queryKey: ['admin', 'audit-verify'], queryFn: () => unwrap(api.GET('/api/v1/audit-events/verify')) })
  return (
    <AdminPage title={t('admin.audit.title')}>
      <section className="card" aria-live="polite">
        <QueryState error={verify.error} pending={verify.isPending} />
        {verify.data && (
          <p className={verify.data.intact ? 'status-ok' : 'status-bad'}>
            {verify.data.intact ? t('admin.audit.intact', { count: verify.data.checked }) : t('admin.audit.broken', { message: `${verify.data.reason ?? ''} (seq ${verify.data.firstBrokenSeq ?? '?'})` })}
          </p>
        )}
        <button type="button" onClick={() => void verify.refetch()}>{t('admin.audit.verify')}</button>
      </section>
      <label>{t('admin.audit.filter')}<input value={action} onChange={(e) => setAction(e.target.value.trim())} placeholder="conversation.updated" /></label>
      <QueryState error={events.error} pending={events.isPending} />
      <table className="admin-table">
        <thead><tr><th>{t('admin.audit.when')}</th><th>{t('admin.audit.who')}</th><th>{t('admin.audit.action')}</th><th>{t('admin.audit.entity')}</th></tr></thead>
        <tbody>
          {events.data?.items.map((e) => (
            <tr key={e.id}><td>{when(e.createdAt)}</td><td>{e.actor.label ?? e.actor.type}</td><td>{e.action}</td><td>{e.entityType} {e.entityId ? <code>{e.entityId.slice(0, 8)}</code> : null}</td></tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  )
}

/**
 * The live board: refreshed whenever a case or agent event (presence) arrives
 * on the realtime socket, and every 15 s so waiting times stay current.
 */
export function BoardAdmin() {
  const t = useT()
  const qc = useQueryClient()
  const board = useQuery({ queryKey: ['admin', 'board'], queryFn: () => unwrap(api.GET('/api/v1/board')), refetchInterval: 15_000 })
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    // Many events arrive in bursts: one refetch per burst.
    const off = realtime.onEvent(() => {
      if (timer) return
      timer = setTimeout(() => {
        timer = null
        void qc.invalidateQueries({ queryKey: ['admin', 'board'] })
      }, 500)
    })
    return () => {
      off()
      if (timer) clearTimeout(timer)
    }
  }, [qc])
  const b = board.data
  return (
    <AdminPage title={t('admin.board.title')}>
      <QueryState error={board.error} pending={board.isPending} />
      {b && (
        <>
          <p className="meta">{t('admin.board.updated', { time: when(b.generatedAt) })}</p>
          <div className="stat-row" role="list">
            {([['open', b.totals.open], ['unassigned', b.totals.unassigned], ['pending', b.totals.pending], ['onHold', b.totals.onHold]] as const).map(([k, v]) => (
              <div key={k} className="stat card" role="listitem"><strong>{v}</strong>{t(`admin.board.${k}`)}</div>
            ))}
          </div>
          <div className="admin-grid">
            <CountTable title={t('admin.board.byInbox')} rows={b.inboxes.map((r) => ({ ...r, key: r.inboxId, name: `${r.name} (${r.channel})` }))} />
            <CountTable title={t('admin.board.byTeam')} rows={b.teams.map((r) => ({ key: r.teamId ?? 'none', ...r }))} />
          </div>
          <section aria-labelledby="waiting-h">
            <h2 id="waiting-h">{t('admin.board.waiting')}</h2>
            <ol>
              {b.longestWaiting.map((w) => (
                <li key={w.conversationId}><Link to={`/cases/${w.conversationId}`}>#{w.number} {w.subject ?? ''}</Link> <span className="meta">{when(w.waitingSince)} · {w.priority}</span></li>
              ))}
            </ol>
          </section>
          <section aria-labelledby="agents-h">
            <h2 id="agents-h">{t('admin.board.agents')}</h2>
            <AgentsTable agents={b.agents} />
          </section>
        </>
      )}
    </AdminPage>
  )
}

type BoardAgent = Schemas['Board']['agents'][number]

/** Who is online, away, busy or offline, and the cases each carries per channel against the capacity routing gives them. */
function AgentsTable({ agents }: { agents: BoardAgent[] }) {
  const t = useT()
  return (
    <table className="admin-table">
      <thead>
        <tr><th>{t('admin.common.name')}</th><th>{t('admin.board.presence')}</th><th>{t('admin.board.open')}</th><th>{t('admin.board.active')}</th><th>{t('admin.board.perChannel')}</th></tr>
      </thead>
      <tbody>
        {agents.map((a) => {
          const channels = [...new Set([...Object.keys(a.load), ...Object.keys(a.capacity)])].sort()
          return (
            <tr key={a.userId}>
              <td>{a.name} <span className="meta">{a.role}</span></td>
              <td>
                <span className={`presence ${a.presence}`}>{t(`admin.board.presenceStatus.${a.presence}`)}</span>
                {a.presenceSince && <span className="meta"> · {when(a.presenceSince)}</span>}
              </td>
              <td>{a.open}</td>
              <td>{a.active}</td>
              <td>
                {channels.length === 0
                  ? '—'
                  : channels.map((c) => t(a.capacity[c] === undefined ? 'admin.board.load' : 'admin.board.loadOf', { channel: c, load: a.load[c] ?? 0, capacity: a.capacity[c] })).join(' · ')}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function CountTable({ title, rows }: { title: string; rows: Array<{ key: string; name: string; open: number; unassigned: number; oldestWaitingSince: string | null }> }) {
  const t = useT()
  return (
    <section className="card">
      <h2>{title}</h2>
      <table className="admin-table">
        <thead><tr><th>{t('admin.common.name')}</th><th>{t('admin.board.open')}</th><th>{t('admin.board.unassigned')}</th><th>{t('admin.board.oldest')}</th></tr></thead>
        <tbody>{rows.map((r) => <tr key={r.key}><td>{r.name}</td><td>{r.open}</td><td>{r.unassigned}</td><td>{when(r.oldestWaitingSince)}</td></tr>)}</tbody>
      </table>
    </section>
  )
}

