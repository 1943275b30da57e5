import { useSyncExternalStore } from 'react'

/** Light/dark: follows prefers-color-scheme until the agent picks one (kept in localStorage). */
export type Theme = 'light' | 'dark'
const KEY = 'omnidesk.theme'
const media = window.matchMedia('(prefers-color-scheme: dark)')
const listeners = new Set<() => void>()

function current(): Theme {
  const saved = localStorage.getItem(KEY)
  if (saved === 'light' || saved === 'dark') return saved
  return media.matches ? 'dark' : 'light'
}

function apply(): void {
  document.documentElement.dataset.theme = current()
  for (const l of listeners) l()
}

media.addEventListener('change', apply)
apply()

export function toggleTheme(): void {
  localStorage.setItem(KEY, current() === 'dark' ? 'light' : 'dark')
  apply()
}

export function useTheme(): Theme {
  return useSyncExternalStore(
    (cb) => {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
    current,
  )
}
