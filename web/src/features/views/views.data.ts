import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, type SavedView, type Schemas, unwrap } from '../../api/client'
import { paramsFromFilters } from '../inbox/FilterBar'
import type { Filters } from '../inbox/inbox.data'

export type ViewFilters = Schemas['ViewFilters']
type Sort = SavedView['sort']

/** The agent's saved views and the shared ones (one request, cached; changes refetch it). */
export const useViews = () => useQuery({ queryKey: ['views'], queryFn: () => unwrap(api.GET('/api/v1/views')), staleTime: 60_000 })

/** Where a saved view opens: its page, with its filters and sort in the URL (so the filter bar shows them). */
export function viewHref(v: SavedView): string {
  const q = paramsFromFilters({ ...v.filters, sort: v.sort }).toString()
  return `/inbox/views/${v.id}${q ? `?${q}` : ''}`
}

/** A list's filters and sort as a view stores them: the same names; the sort apart. */
export function splitFilters(f: Filters): { filters: ViewFilters; sort: Sort } {
  const { sort, contactId: _contact, ...filters } = f
  return { filters: filters as ViewFilters, sort: sort ?? 'recent' }
}

export function useViewMutations() {
  const qc = useQueryClient()
  const done = () => qc.invalidateQueries({ queryKey: ['views'] })
  return {
    create: useMutation({
      mutationFn: (body: { name: string; filters: ViewFilters; sort: Sort; shared: boolean }) => unwrap(api.POST('/api/v1/views', { body })),
      onSuccess: done,
    }),
    update: useMutation({
      mutationFn: ({ id, ...body }: { id: string; name?: string; filters?: ViewFilters; sort?: Sort }) => unwrap(api.PATCH('/api/v1/views/{id}', { params: { path: { id } }, body })),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/views/{id}', { params: { path: { id } } })),
      onSuccess: done,
    }),
  }
}
