import { useEffect, useState, useSyncExternalStore } from 'react'
import { type PresenceUser, realtime, type RealtimeEvent, type RealtimeStatus } from './realtime'

export function useRealtimeStatus(): RealtimeStatus {
  return useSyncExternalStore(realtime.onStatus, realtime.getStatus)
}

/** Runs cb for every (de-duplicated) realtime event while the component is mounted. */
export function useRealtimeEvents(cb: (e: RealtimeEvent) => void): void {
  useEffect(() => realtime.onEvent(cb), [cb])
}

/** Announces that this user views the case while mounted, and returns who is on it (this user included). */
export function useCasePresence(conversationId: string): PresenceUser[] {
  const [users, setUsers] = useState<PresenceUser[]>([])
  useEffect(() => {
    setUsers([])
    const off = realtime.onPresence((id, list) => {
      if (id === conversationId) setUsers(list)
    })
    const leave = realtime.view(conversationId)
    return () => {
      leave()
      off()
    }
  }, [conversationId])
  return users
}
