/**
 * Message catalogues (i18next). English is complete; another language is a
 * file beside en.ts added to `resources`. Components read strings through
 * useT(), which re-renders them when the language changes.
 */
import i18next from 'i18next'
import { useSyncExternalStore } from 'react'
import { en } from './en'

void i18next.init({
  lng: navigator.language?.split('-')[0] ?? 'en',
  fallbackLng: 'en',
  supportedLngs: ['en'],
  resources: { en: { translation: en } },
  interpolation: { escapeValue: false }, // React escapes
  initAsync: false,
})

const subscribe = (cb: () => void) => {
  i18next.on('languageChanged', cb)
  return () => i18next.off('languageChanged', cb)
}

export type TFunction = typeof i18next.t

/** i18next.t bound to the instance, so it can be passed around. */
export const t: TFunction = i18next.t.bind(i18next) as TFunction

export function useT(): TFunction {
  useSyncExternalStore(subscribe, () => i18next.language)
  return t
}
export { i18next }
