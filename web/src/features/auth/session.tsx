import { useQuery, useQueryClient } from '@tanstack/react-query'
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo } from 'react'
import { api, ApiError, type Me, unwrap } from '../../api/client'
import { meKey } from '../../app/query'
import { realtime } from '../../realtime/realtime'

export { meKey }

export type Session =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'signed-in'; me: Me & { userId: string }; workspaceName: string | null; signOut: () => Promise<void> }

const SessionContext = createContext<Session>({ status: 'loading' })


/** Who is signed in (GET /auth/me): a 401 means the sign-in form. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient()
  const me = useQuery({
    queryKey: meKey,
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/api/v1/auth/me'))
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null
        throw err
      }
    },
    staleTime: Infinity,
  })
  const workspace = useQuery({
    queryKey: ['workspace'],
    queryFn: () => unwrap(api.GET('/api/v1/workspace')),
    enabled: Boolean(me.data),
  })
  const signOut = useCallback(async () => {
    await unwrap(api.POST('/api/v1/auth/logout')).catch(() => undefined)
    realtime.stop()
    // The signed-in user's query is set, not removed: clear() would detach the
    // mounted observer from it and the app would go on showing the desk.
    qc.setQueryData(meKey, null)
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== meKey[0] })
  }, [qc])

  const signedIn = Boolean(me.data)
  useEffect(() => {
    if (signedIn) realtime.start()
    else realtime.stop()
  }, [signedIn])

  const value = useMemo<Session>(() => {
    if (me.isPending) return { status: 'loading' }
    if (!me.data || !me.data.userId) return { status: 'signed-out' }
    return { status: 'signed-in', me: me.data as Me & { userId: string }, workspaceName: workspace.data?.name ?? null, signOut }
  }, [me.isPending, me.data, workspace.data, signOut])
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}

export function useSession(): Session {
  return useContext(SessionContext)
}

/** The signed-in session; only inside the signed-in shell. */
export function useMe(): Extract<Session, { status: 'signed-in' }> {
  const s = useSession()
  if (s.status !== 'signed-in') throw new Error('useMe outside a signed-in session')
  return s
}
