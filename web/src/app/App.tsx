import { QueryClientProvider } from '@tanstack/react-query'
import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { adminRoutesFor } from '../features/admin/routes'
import { SignIn } from '../features/auth/SignIn'
import { SessionProvider, useSession } from '../features/auth/session'
import { CannedRepliesPage } from '../features/canned-replies/CannedRepliesPage'
import { CasePage } from '../features/conversation/CasePage'
import { ContactPage } from '../features/contacts/ContactPage'
import { InboxPage } from '../features/inbox/InboxPage'
import { SearchPage } from '../features/search/SearchPage'
import { useT } from '../i18n'
import { queryClient } from './query'
import { Shell } from './Shell'

/**
 * Router: react-router 7 in declarative mode (BrowserRouter + Routes). It is
 * the smallest well-kept router that does nested routes and URL state, and
 * needs no code generation; data loading stays in react-query.
 */
export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <Gate />
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  )
}

function Gate() {
  const session = useSession()
  const t = useT()
  if (session.status === 'loading') return <p className="loading" role="status">{t('common.loading')}</p>
  if (session.status === 'signed-out') return <SignIn />
  const isAdmin = session.me.role === 'owner' || session.me.role === 'admin' || session.me.role === 'supervisor'
  return (
    <Shell>
      <Routes>
        <Route path="/" element={<Navigate to="/inbox/mine" replace />} />
        <Route path="/inbox/:view" element={<InboxPage />} />
        <Route path="/inbox/views/:viewId" element={<InboxPage />} />
        <Route path="/cases/:id" element={<CasePage />} />
        <Route path="/contacts/:id" element={<ContactPage />} />
        <Route path="/search" element={<SearchPage />} />
        <Route path="/settings/canned-replies" element={<CannedRepliesPage />} />
        {isAdmin && adminRoutesFor(session.me.role).map((r) => <Route key={r.path} path={`/admin/${r.path}`} element={r.element} />)}
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Shell>
  )
}

function NotFound() {
  const t = useT()
  return (
    <main id="main" className="page">
      <h1>{t('common.notFound')}</h1>
    </main>
  )
}
