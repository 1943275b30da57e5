import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query'
import { ApiError } from '../api/client'

export const meKey = ['auth', 'me'] as const

/** A 401 anywhere means the session ended (expired, signed out elsewhere): back to the sign-in form. */
function onError(err: unknown): void {
  if (err instanceof ApiError && err.status === 401 && queryClient.getQueryData(meKey)) queryClient.setQueryData(meKey, null)
}

export const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      // Realtime events keep the data fresh; a refetch on focus is the safety net.
      staleTime: 30_000,
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
    },
    mutations: { retry: false },
  },
})
