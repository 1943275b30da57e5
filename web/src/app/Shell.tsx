import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react'
import { NavLink, useNavigate, useSearchParams } from 'react-router'
import { adminRoutesFor } from '../features/admin/routes'
import { useMe } from '../features/auth/session'
import { rememberedWorkspaces } from '../features/auth/SignIn'
import { NotificationBell } from '../features/notifications/NotificationBell'
import { OfferBar } from '../features/offers/OfferBar'
import { PresenceControl } from '../features/presence/PresenceControl'
import { useT } from '../i18n'
import { useLiveConversations } from '../features/inbox/inbox.data'
import { useViews, viewHref } from '../features/views/views.data'
import { useRealtimeStatus } from '../realtime/hooks'
import { realtime } from '../realtime/realtime'
import { shortcutHelp, useShortcuts } from './shortcuts'
import { toggleTheme, useTheme } from './theme'

/** The frame around every signed-in view: navigation, search, theme, sign out, realtime banner, help. */
export function Shell({ children }: { children: ReactNode }) {
  const t = useT()
  const session = useMe()
  const theme = useTheme()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const [q, setQ] = useState(params.get('q') ?? '')
  const searchRef = useRef<HTMLInputElement>(null)
  const helpRef = useRef<HTMLDialogElement>(null)
  const mayAdmin = ['owner', 'admin', 'supervisor'].includes(session.me.role)
  const qc = useQueryClient()
  const realtimeStatus = useRealtimeStatus()
  const views = useViews()
  useLiveConversations(qc)
  // Events are not replayed: after a lost connection, refetch what is on screen.
  useEffect(() => realtime.onReconnect(() => void qc.invalidateQueries()), [qc])

  useShortcuts({
    '/': () => searchRef.current?.focus(),
    '?': () => helpRef.current?.showModal(),
  })

  function search(e: FormEvent) {
    e.preventDefault()
    if (q.trim()) navigate(`/search?q=${encodeURIComponent(q.trim())}`)
  }

  return (
    <div className="shell" data-realtime={realtimeStatus}>
      <a href="#main" className="skip-link">
        {t('shell.skip')}
      </a>
      <header className="topbar">
        <span className="brand">Omnidesk</span>
        <nav aria-label={t('shell.nav')}>
          <NavLink to="/inbox/mine">{t('inbox.views.mine')}</NavLink>
          <NavLink to="/inbox/unassigned">{t('inbox.views.unassigned')}</NavLink>
          <NavLink to="/inbox/all">{t('inbox.views.all')}</NavLink>
          <NavLink to="/settings/canned-replies">{t('canned.nav')}</NavLink>
          {(views.data?.items ?? []).map((v) => (
            <NavLink key={v.id} to={viewHref(v)} className="saved-view" title={v.shared ? t('views.sharedTitle') : undefined}>
              {v.name}
            </NavLink>
          ))}
          {mayAdmin &&
            adminRoutesFor(session.me.role).map((r) => (
              <NavLink key={r.path} to={`/admin/${r.path}`}>
                {t(r.labelKey)}
              </NavLink>
            ))}
        </nav>
        <form role="search" onSubmit={search} className="search-form">
          <input ref={searchRef} type="search" aria-label={t('search.label')} placeholder={t('search.placeholder')} value={q} onChange={(e) => setQ(e.target.value)} />
        </form>
        <span className="who" title={session.me.label}>
          {session.workspaceName ? `${session.me.label} · ${session.workspaceName}` : session.me.label}
        </span>
        <PresenceControl />
        <NotificationBell />
        <button type="button" onClick={toggleTheme} aria-label={theme === 'dark' ? t('shell.lightTheme') : t('shell.darkTheme')}>
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        <button type="button" onClick={() => helpRef.current?.showModal()}>
          {t('shell.shortcuts')}
        </button>
        {rememberedWorkspaces().length > 1 && (
          <button type="button" onClick={() => void session.signOut()}>
            {t('shell.switchWorkspace')}
          </button>
        )}
        <button type="button" onClick={() => void session.signOut()}>
          {t('shell.signOut')}
        </button>
      </header>
      <RealtimeBanner />
      <OfferBar />
      {children}
      <dialog ref={helpRef} aria-labelledby="help-title" className="card">
        <h2 id="help-title">{t('shortcuts.title')}</h2>
        <dl className="shortcut-list">
          {shortcutHelp.map(([key, label]) => (
            <div key={key}>
              <dt>
                <kbd>{key}</kbd>
              </dt>
              <dd>{t(label)}</dd>
            </div>
          ))}
        </dl>
        <form method="dialog">
          <button type="submit">{t('common.close')}</button>
        </form>
      </dialog>
    </div>
  )
}

function RealtimeBanner() {
  const t = useT()
  const status = useRealtimeStatus()
  const [shown, setShown] = useState(false)
  // A blip shorter than a second is not worth a banner.
  useEffect(() => {
    if (status !== 'lost') return setShown(false)
    const timer = setTimeout(() => setShown(true), 1000)
    return () => clearTimeout(timer)
  }, [status])
  if (!shown) return null
  return (
    <div role="status" className="banner warning">
      {t('realtime.lost')}
    </div>
  )
}
