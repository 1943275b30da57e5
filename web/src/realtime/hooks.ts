import { useEffect, useSyncExternalStore } from 'react'
import { realtime, type RealtimeEvent, type RealtimeStatus } from './realtime'

export function useRealtimeStatus(): RealtimeStatus {
  return useSyncExternalStore(realtime.onStatus, realtime.getStatus)
}

/** Runs cb for every (de-duplicated) realtime event while the component is mounted. */
export function useRealtimeEvents(cb: (e: RealtimeEvent) => void): void {
  useEffect(() => realtime.onEvent(cb), [cb])
}
