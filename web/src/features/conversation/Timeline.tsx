import { useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, type Message, type TimelineItem, unwrap } from '../../api/client'
import { useUsers } from '../../api/lookups'
import { errorText } from '../../app/errors'
import { type TFunction, useT } from '../../i18n'

export const timelineKey = (id: string) => ['timeline', id] as const

/** One timeline across channels: messages, notes and case events, oldest first. */
export function Timeline({ conversationId, contactName }: { conversationId: string; contactName: string }) {
  const t = useT()
  const q = useInfiniteQuery({
    queryKey: timelineKey(conversationId),
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/conversations/{id}/timeline', { params: { path: { id: conversationId }, query: { limit: 200, ...(pageParam && { cursor: pageParam }) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  })
  const items = q.data?.pages.flatMap((p) => p.items) ?? []
  if (q.isError) return <p role="alert" className="error">{errorText(t, q.error)}</p>
  if (q.isPending) return <p role="status">{t('common.loading')}</p>
  return (
    <section aria-label={t('case.timeline')} className="timeline">
      <ol>
        {items.map((item) => (
          <li key={item.kind === 'message' ? `m-${item.message.id}` : `e-${item.event.id}`}>
            {item.kind === 'message' ? <MessageItem m={item.message} contactName={contactName} /> : <EventItem e={item} />}
          </li>
        ))}
      </ol>
      {q.hasNextPage && (
        <button type="button" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
          {t('common.loadMore')}
        </button>
      )}
    </section>
  )
}

function when(at: string): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

function MessageItem({ m, contactName }: { m: Message; contactName: string }) {
  const t = useT()
  const users = useUsers()
  const author =
    m.author.type === 'contact' ? contactName : m.author.type === 'user' ? (users.data?.items.find((u) => u.id === m.author.id)?.name ?? t('case.agent')) : t(`case.author.${m.author.type}`)
  return (
    <article className={`message ${m.direction}`} aria-label={t(`case.direction.${m.direction}`, { author })}>
      <header>
        <strong>{author}</strong>
        <span className="meta">
          {t(`case.direction.short.${m.direction}`)} · {t(`channels.${m.channel}`, { defaultValue: m.channel })} · <time dateTime={m.createdAt}>{when(m.createdAt)}</time>
          {m.deliveryStatus && ` · ${t(`delivery.${m.deliveryStatus}`)}`}
        </span>
      </header>
      {m.deliveryError && <p className="error">{m.deliveryError}</p>}
      {m.html ? <EmailFrame conversationId={m.conversationId} messageId={m.id} /> : <p className="text">{m.text}</p>}
      {m.attachments.length > 0 && (
        <ul className="attachments" aria-label={t('case.attachments')}>
          {m.attachments.map((a) => {
            const url = `/api/v1/conversations/${m.conversationId}/messages/${m.id}/attachments/${a.id}`
            return (
              <li key={a.id}>
                {/^image\/(png|jpe?g|gif|webp)$/i.test(a.contentType) && <img src={url} alt={a.filename} loading="lazy" className="preview" />}
                <a href={url} download={a.filename}>
                  {t('case.download', { name: a.filename, size: Math.max(1, Math.round(a.size / 1024)) })}
                </a>
              </li>
            )
          })}
        </ul>
      )}
    </article>
  )
}

/**
 * A customer's HTML, as the server sanitised it, in a frame that may run
 * nothing (`sandbox=""`), from a document whose own CSP blocks script and, until
 * the agent asks, every remote image (tracking pixels included).
 */
function EmailFrame({ conversationId, messageId }: { conversationId: string; messageId: string }) {
  const t = useT()
  const [remote, setRemote] = useState(false)
  const src = `/api/v1/conversations/${conversationId}/messages/${messageId}/html${remote ? '?remoteImages=1' : ''}`
  return (
    <div className="email">
      <iframe key={src} src={src} sandbox="" title={t('case.emailFrame')} referrerPolicy="no-referrer" loading="lazy" />
      {!remote && (
        <button type="button" className="link" onClick={() => setRemote(true)}>
          {t('case.showRemoteImages')}
        </button>
      )}
    </div>
  )
}

function EventItem({ e }: { e: Extract<TimelineItem, { kind: 'event' }> }) {
  const t = useT()
  const users = useUsers()
  const name = (id: unknown) => (typeof id === 'string' ? (users.data?.items.find((u) => u.id === id)?.name ?? t('case.someone')) : t('inbox.unassigned'))
  return (
    <p className="event">
      <span>{describeEvent(t, e.event.type, e.event.payload, name)}</span>
      <span className="meta">
        {' '}
        — {e.event.actor.label} · <time dateTime={e.at}>{when(e.at)}</time>
      </span>
    </p>
  )
}

export function describeEvent(t: TFunction, type: string, p: Record<string, unknown>, name: (id: unknown) => string): string {
  switch (type) {
    case 'conversation.status-changed':
      return t('events.statusChanged', { from: t(`status.${String(p.from)}`), to: t(`status.${String(p.to)}`) })
    case 'conversation.assigned':
      return t('events.assigned', { who: name(p.assigneeId) })
    case 'conversation.channel-switched':
      return t('events.channelSwitched', { from: t(`channels.${String(p.from)}`, { defaultValue: String(p.from) }), to: t(`channels.${String(p.to)}`, { defaultValue: String(p.to) }) })
    case 'conversation.reopened':
      return t('events.reopened')
    case 'conversation.merged':
      return t('events.merged')
    case 'conversation.follow-up-linked':
      return t('events.followUp', { of: String(p.followUpOfNumber ?? ''), follow: String(p.followUpNumber ?? '') })
    case 'message.threaded':
      return t('events.threaded', { reason: String(p.reason ?? '') })
    case 'message.moved':
      return t(p.split ? 'events.split' : 'events.moved')
    case 'email.bounced':
      return t('events.bounced', { reason: String(p.reason ?? p.description ?? '') })
    default:
      return type
  }
}
