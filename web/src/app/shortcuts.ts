import { useEffect, useRef } from 'react'

/**
 * Single-key shortcuts (j, k, r, n, a, s, /, ?). They never fire while the agent
 * types in a field, nor with a modifier held, so they cannot eat text.
 */
export type ShortcutMap = Partial<Record<string, () => void>>

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el) return false
  return el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT'
}

export function useShortcuts(map: ShortcutMap): void {
  const ref = useRef(map)
  ref.current = map
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return
      if (document.querySelector('dialog[open]')) return
      const fn = ref.current[e.key]
      if (fn) {
        e.preventDefault()
        fn()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}

/** The shortcuts the help dialog lists: key and i18n key of what it does. */
export const shortcutHelp: Array<[string, string]> = [
  ['j', 'shortcuts.next'],
  ['k', 'shortcuts.previous'],
  ['Enter', 'shortcuts.open'],
  ['r', 'shortcuts.reply'],
  ['n', 'shortcuts.note'],
  ['a', 'shortcuts.assignMe'],
  ['s', 'shortcuts.solve'],
  ['/', 'shortcuts.search'],
  ['?', 'shortcuts.help'],
]
