import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, type ConversationPatch, unwrap } from '../../api/client'
import { upsertConversation } from '../inbox/inbox.data'
import { timelineKey } from './Timeline'

/** PATCH /conversations/{id}; the fresh case goes into every cached list and the timeline refetches. */
export function usePatchCase(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: ConversationPatch) => unwrap(api.PATCH('/api/v1/conversations/{id}', { params: { path: { id } }, body })),
    onSuccess: (c) => {
      upsertConversation(qc, c)
      void qc.invalidateQueries({ queryKey: timelineKey(id) })
    },
  })
}
