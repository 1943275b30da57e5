import { useQuery, useQueryClient } from '@tanstack/react-query'
import i18next from 'i18next'
import { useCallback, useState } from 'react'
import { api, unwrap } from '../../api/client'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { useRealtimeEvents } from '../../realtime/hooks'
import type { RealtimeEvent } from '../../realtime/realtime'
import { useMe } from '../auth/session'
import { presenceEn } from './presence.en'

i18next.addResourceBundle('en', 'translation', { presence: presenceEn }, true, true)

const statuses = ['online', 'away', 'busy', 'offline'] as const
type Status = (typeof statuses)[number]

/**
 * The signed-in agent's presence (docs/routing.md): only online agents are routed
 * cases. Follows changes made elsewhere (a supervisor, the grace period after the
 * last connection) through the `agents` realtime topic.
 */
export function PresenceControl() {
  const t = useT()
  const { me } = useMe()
  const qc = useQueryClient()
  const userId = me.userId
  const routing = useQuery({
    queryKey: ['presence', userId],
    queryFn: () => unwrap(api.GET('/api/v1/users/{id}/routing', { params: { path: { id: userId } } })),
  })
  const [error, setError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const onEvent = useCallback(
    (e: RealtimeEvent) => {
      if (e.type === 'agent.presence-changed' && e.payload?.userId === userId) void qc.invalidateQueries({ queryKey: ['presence', userId] })
    },
    [qc, userId],
  )
  useRealtimeEvents(onEvent)

  async function change(status: Status) {
    setError(null)
    setSaving(true)
    try {
      const next = await unwrap(api.PUT('/api/v1/users/{id}/presence', { params: { path: { id: userId } }, body: { status } }))
      qc.setQueryData(['presence', userId], next)
    } catch (err) {
      setError(errorText(t, err))
    } finally {
      setSaving(false)
    }
  }

  const current: Status = routing.data?.status ?? 'offline'
  return (
    <span className="presence-control" data-presence={current}>
      <span className="presence-dot" aria-hidden="true" />
      <select aria-label={t('presence.label')} value={current} disabled={saving || routing.isPending} onChange={(e) => void change(e.target.value as Status)}>
        {statuses.map((s) => (
          <option key={s} value={s}>
            {t(`presence.${s}`)}
          </option>
        ))}
      </select>
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </span>
  )
}
