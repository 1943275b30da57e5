import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react'
import { Link } from 'react-router'
import { errorText } from '../../app/errors'
import { useT } from '../../i18n'
import { type CannedReply, renderReply, useCannedReplies } from './canned.data'

/**
 * Picks a canned reply for the composer: a searchable list (a combobox: type
 * to filter, arrows to move, Enter to pick, Escape to close). The pick is
 * filled in for the case by the server and handed to `onInsert` as text the
 * agent can still edit; variables without a value are named.
 */
export function CannedPicker({ conversationId, onInsert, onClose }: { conversationId: string; onInsert: (text: string, missing: string[]) => void; onClose: () => void }) {
  const t = useT()
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const [error, setError] = useState<string | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const listId = useId()
  const replies = useCannedReplies(query.trim())
  const items = replies.data?.items ?? []
  useEffect(() => input.current?.focus(), [])
  useEffect(() => setActive(0), [query])

  async function pick(r: CannedReply | undefined) {
    if (!r) return
    setError(null)
    try {
      const rendered = await renderReply(r.id, conversationId)
      onInsert(rendered.text, rendered.missing)
    } catch (err) {
      setError(errorText(t, err))
    }
  }

  function onKey(e: KeyboardEvent) {
    if (e.key === 'ArrowDown') setActive((i) => Math.min(i + 1, Math.max(items.length - 1, 0)))
    else if (e.key === 'ArrowUp') setActive((i) => Math.max(i - 1, 0))
    else if (e.key === 'Enter') void pick(items[active])
    else if (e.key === 'Escape') onClose()
    else return
    e.preventDefault()
  }

  const optionId = (i: number) => `${listId}-${i}`
  return (
    <div className="canned-picker card">
      <input
        ref={input}
        type="search"
        role="combobox"
        aria-label={t('canned.search')}
        aria-expanded="true"
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={items[active] ? optionId(active) : undefined}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onKey}
      />
      <ul id={listId} role="listbox" aria-label={t('canned.list')}>
        {items.map((r, i) => (
          <li
            key={r.id}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => void pick(r)}
          >
            <strong>{r.name}</strong>
            {r.shortcut && <span className="meta"> /{r.shortcut}</span>}
            <span className="meta"> · {r.shared ? t('canned.shared') : t('canned.personal')}</span>
          </li>
        ))}
      </ul>
      {replies.isSuccess && items.length === 0 && <p className="meta">{t('canned.none')}</p>}
      {(error || replies.isError) && (
        <p role="alert" className="error">
          {error ?? errorText(t, replies.error)}
        </p>
      )}
      <Link to="/settings/canned-replies">{t('canned.manage')}</Link>
    </div>
  )
}
