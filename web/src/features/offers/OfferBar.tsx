import { useQuery, useQueryClient } from '@tanstack/react-query'
import i18next from 'i18next'
import { useCallback, useState } from 'react'
import { useNavigate } from 'react-router'
import { api, unwrap } from '../../api/client'
import { caseTitle, useConversation } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { useRealtimeEvents } from '../../realtime/hooks'
import type { RealtimeEvent } from '../../realtime/realtime'
import { useMe } from '../auth/session'
import { useNow } from '../inbox/waiting'
import { offersEn } from './offers.en'

i18next.addResourceBundle('en', 'translation', { offers: offersEn }, true, true)

const offersKey = ['offers'] as const
type Offer = { id: string; conversationId: string; channel: string; expiresAt: string }

/**
 * Live cases (chat, calls) routed to this agent arrive as offers to accept
 * within the queue's offer time (docs/routing.md): shown here, above every
 * view, kept current by the routing events of the realtime stream.
 */
export function OfferBar() {
  const t = useT()
  const { me } = useMe()
  const qc = useQueryClient()
  const offers = useQuery({ queryKey: offersKey, queryFn: () => unwrap(api.GET('/api/v1/offers')) })
  const onEvent = useCallback(
    (e: RealtimeEvent) => {
      if (e.type.startsWith('routing.offer') && e.payload?.userId === me.userId) void qc.invalidateQueries({ queryKey: offersKey })
    },
    [qc, me.userId],
  )
  useRealtimeEvents(onEvent)
  const now = useNow(1000)
  const pending = (offers.data?.items ?? []).filter((o) => Date.parse(o.expiresAt) > now)
  if (pending.length === 0) return null
  return (
    <section aria-label={t('offers.region')} className="offers">
      {pending.map((o) => (
        <OfferCard key={o.id} offer={o} now={now} />
      ))}
    </section>
  )
}

function OfferCard({ offer, now }: { offer: Offer; now: number }) {
  const t = useT()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const conversation = useConversation(offer.conversationId)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const seconds = Math.max(0, Math.round((Date.parse(offer.expiresAt) - now) / 1000))

  async function answer(how: 'accept' | 'decline') {
    setBusy(true)
    setError(null)
    try {
      const path = how === 'accept' ? '/api/v1/offers/{id}/accept' : '/api/v1/offers/{id}/decline'
      await unwrap(api.POST(path, { params: { path: { id: offer.id } } }))
      await qc.invalidateQueries({ queryKey: offersKey })
      if (how === 'accept') navigate(`/cases/${offer.conversationId}`)
    } catch (err) {
      setError(errorText(t, err))
      await qc.invalidateQueries({ queryKey: offersKey })
    } finally {
      setBusy(false)
    }
  }

  const title = conversation.data ? caseTitle(conversation.data) : '…'
  const channel = t(`channels.${offer.channel}`, { defaultValue: offer.channel })
  return (
    <div className="offer card" role="group" aria-label={t('offers.offered', { channel, title })}>
      <p>
        <strong>{t('offers.offered', { channel, title })}</strong> <span className="meta">{t('offers.expiresIn', { count: seconds })}</span>
      </p>
      <button type="button" className="primary" disabled={busy} onClick={() => void answer('accept')}>
        {t('offers.accept')}
      </button>
      <button type="button" disabled={busy} onClick={() => void answer('decline')}>
        {t('offers.decline')}
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  )
}
