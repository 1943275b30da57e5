/**
 * WhatsApp's customer-service window: a business may send free-form messages
 * only within 24 hours of the customer's last message to it; after that only
 * an approved template may open the conversation again.
 */
export const WINDOW_MS = 24 * 60 * 60 * 1000

export interface WindowState {
  open: boolean
  /** When the customer last wrote (ISO), null when never on this inbox. */
  lastCustomerMessageAt: string | null
  /** When the window closes / closed (ISO), null when it never opened. */
  closesAt: string | null
}

export function windowState(lastCustomerMessageAt: string | Date | null | undefined, now = Date.now()): WindowState {
  if (!lastCustomerMessageAt) return { open: false, lastCustomerMessageAt: null, closesAt: null }
  const at = new Date(lastCustomerMessageAt).getTime()
  if (Number.isNaN(at)) return { open: false, lastCustomerMessageAt: null, closesAt: null }
  return { open: now - at < WINDOW_MS, lastCustomerMessageAt: new Date(at).toISOString(), closesAt: new Date(at + WINDOW_MS).toISOString() }
}
