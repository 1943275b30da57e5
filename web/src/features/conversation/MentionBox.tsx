import { type KeyboardEvent, type RefObject, useId, useState } from 'react'
import type { User } from '../../api/client'
import { useUsers } from '../../api/lookups'
import { i18next, useT } from '../../i18n'
import { caseToolsEn } from './case-tools.en'
import { mentionAt, mentionOf, suggestUsers } from './mentions'

i18next.addResourceBundle('en', 'translation', { caseTools: caseToolsEn }, true, true)

/**
 * @mention suggestions for an internal note: typing `@` and the start of a
 * name or email lists colleagues under the box; arrows move, Enter or Tab
 * picks, Escape closes. The text box keeps its role (it stays the composer's
 * **Reply** box) and points at the list with aria-activedescendant.
 */
export function useMentionBox(box: RefObject<HTMLTextAreaElement | null>, text: string, setText: (s: string) => void, enabled: boolean) {
  const users = useUsers()
  const listId = useId()
  const [at, setAt] = useState<{ start: number; query: string } | null>(null)
  const [active, setActive] = useState(0)
  const suggestions = enabled && at ? suggestUsers(users.data?.items ?? [], at.query) : []
  const open = suggestions.length > 0
  const optionId = (i: number) => `${listId}-${i}`

  const close = () => setAt(null)
  const update = (value: string, caret: number) => {
    const found = enabled ? mentionAt(value, caret) : null
    if (found?.query !== at?.query || found?.start !== at?.start) setActive(0)
    setAt(found)
  }
  const pick = (u: User | undefined) => {
    if (!u || !at) return
    const caret = box.current?.selectionStart ?? text.length
    const mention = `${mentionOf(u, users.data?.items ?? [])} `
    setText(text.slice(0, at.start) + mention + text.slice(caret))
    setAt(null)
    const end = at.start + mention.length
    requestAnimationFrame(() => box.current?.setSelectionRange(end, end))
  }
  const onKeyDown = (e: KeyboardEvent) => {
    if (!open) return
    if (e.key === 'ArrowDown') setActive((i) => (i + 1) % suggestions.length)
    else if (e.key === 'ArrowUp') setActive((i) => (i - 1 + suggestions.length) % suggestions.length)
    else if (e.key === 'Enter' || e.key === 'Tab') pick(suggestions[active])
    else if (e.key === 'Escape') close()
    else return
    e.preventDefault()
  }
  const textboxProps = {
    'aria-autocomplete': 'list' as const,
    'aria-controls': open ? listId : undefined,
    'aria-activedescendant': open ? optionId(active) : undefined,
  }
  return { open, suggestions, active, listId, optionId, pick, update, close, onKeyDown, textboxProps }
}

export function MentionBox({ state }: { state: ReturnType<typeof useMentionBox> }) {
  const t = useT()
  if (!state.open) return null
  return (
    <ul id={state.listId} role="listbox" aria-label={t('caseTools.mentions')} className="mention-list card">
      {state.suggestions.map((u, i) => (
        <li key={u.id} id={state.optionId(i)} role="option" aria-selected={i === state.active} className={i === state.active ? 'active' : undefined} onMouseDown={(e) => e.preventDefault()} onClick={() => state.pick(u)}>
          {u.name} <span className="meta">{u.email}</span>
        </li>
      ))}
    </ul>
  )
}
