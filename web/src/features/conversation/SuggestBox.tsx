import { type KeyboardEvent, type ReactNode, type RefObject, useId, useState } from 'react'
import { i18next } from '../../i18n'
import { caseToolsEn } from './case-tools.en'

i18next.addResourceBundle('en', 'translation', { caseTools: caseToolsEn }, true, true)

/** What a suggestion list offers for a token typed in the composer (`@ada`, `/hello`). */
export interface SuggestSource<T> {
  /** The token being typed just before the caret, or null. */
  find(text: string, caret: number): { start: number; query: string } | null
  items(query: string): T[]
  key(item: T): string
  /** The text that replaces the token (the caller adds nothing). */
  replacement(item: T): Promise<string> | string
}

/**
 * Suggestions under the composer for the token being typed: arrows move,
 * Enter or Tab picks, Escape closes. The text box keeps its role (it stays the
 * composer's **Reply** box) and points at the list with aria-activedescendant.
 */
export function useSuggestBox<T>(box: RefObject<HTMLTextAreaElement | null>, setText: (f: (prev: string) => string) => void, source: SuggestSource<T>, enabled: boolean) {
  const listId = useId()
  const [at, setAt] = useState<{ start: number; query: string } | null>(null)
  const [active, setActive] = useState(0)
  const suggestions = enabled && at ? source.items(at.query) : []
  const open = suggestions.length > 0
  const optionId = (i: number) => `${listId}-${i}`

  const close = () => setAt(null)
  const update = (value: string, caret: number) => {
    const found = enabled ? source.find(value, caret) : null
    if (found?.query !== at?.query || found?.start !== at?.start) setActive(0)
    setAt(found)
  }
  const pick = async (item: T | undefined) => {
    if (!item || !at) return
    const { start } = at
    const caret = box.current?.selectionStart ?? start
    setAt(null)
    const replacement = await source.replacement(item)
    setText((prev) => prev.slice(0, start) + replacement + prev.slice(caret))
    const end = start + replacement.length
    requestAnimationFrame(() => {
      box.current?.focus()
      box.current?.setSelectionRange(end, end)
    })
  }
  const onKeyDown = (e: KeyboardEvent) => {
    if (!open) return
    if (e.key === 'ArrowDown') setActive((i) => (i + 1) % suggestions.length)
    else if (e.key === 'ArrowUp') setActive((i) => (i - 1 + suggestions.length) % suggestions.length)
    else if (e.key === 'Enter' || e.key === 'Tab') void pick(suggestions[active])
    else if (e.key === 'Escape') close()
    else return
    e.preventDefault()
  }
  const textboxProps = open ? { 'aria-controls': listId, 'aria-activedescendant': optionId(active) } : {}
  return { open, suggestions, active, listId, optionId, pick, update, close, onKeyDown, textboxProps, key: source.key }
}

export function SuggestList<T>({ state, label, render }: { state: ReturnType<typeof useSuggestBox<T>>; label: string; render: (item: T) => ReactNode }) {
  if (!state.open) return null
  return (
    <ul id={state.listId} role="listbox" aria-label={label} className="mention-list card">
      {state.suggestions.map((item, i) => (
        <li key={state.key(item)} id={state.optionId(i)} role="option" aria-selected={i === state.active} className={i === state.active ? 'active' : undefined} onMouseDown={(e) => e.preventDefault()} onClick={() => void state.pick(item)}>
          {render(item)}
        </li>
      ))}
    </ul>
  )
}
