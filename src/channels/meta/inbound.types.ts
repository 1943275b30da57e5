/**
 * What a messaging channel's webhook yields once verified and parsed, in one
 * shape for WhatsApp, Messenger, Instagram and Telegram. Each item becomes one
 * job (see inbound.worker.ts), so the webhook answers the provider at once.
 */

/** A file of an inbound message, still at the provider: `ref` is a media id (WhatsApp, Telegram) or a URL (Messenger, Instagram). */
export interface InboundMediaRef {
  ref: string
  kind: 'image' | 'document' | 'audio' | 'video' | 'sticker' | 'file'
  filename?: string | undefined
  contentType?: string | undefined
  /** As declared by the provider, when it says. */
  size?: number | undefined
}

export interface InboundMessageItem {
  kind: 'message'
  providerMessageId: string
  /** The sender as the channel identifies them. */
  from: { identityKind: 'whatsapp' | 'messenger' | 'instagram' | 'telegram'; value: string; name?: string | undefined; phone?: string | undefined }
  text: string
  /** When the provider says the customer sent it (ISO); opens WhatsApp's customer-service window. */
  sentAt: string
  metadata: Record<string, unknown>
  media: InboundMediaRef[]
}

export type ProviderStatus = 'sent' | 'delivered' | 'read' | 'failed'

/** The provider's word on one outbound message, by its id. */
export interface InboundStatusItem {
  kind: 'status'
  providerMessageId: string
  status: ProviderStatus
  error?: string | undefined
  at: string
}

/**
 * Messenger and Instagram report delivery and reading as a watermark: every
 * message to `recipient` sent at or before `watermark` has been delivered / read.
 */
export interface InboundWatermarkItem {
  kind: 'watermark'
  /** The customer's page-scoped id. */
  recipient: string
  status: 'delivered' | 'read'
  watermark: string
  /** Message ids the provider named (Messenger's delivery `mids`). */
  providerMessageIds: string[]
}

/** WhatsApp Manager's verdict on a message template (`message_template_status_update`). */
export interface InboundTemplateStatusItem {
  kind: 'template-status'
  name: string
  language: string
  status: 'approved' | 'pending' | 'rejected' | 'paused' | 'disabled'
  reason?: string | undefined
  /** Meta's id of this update (template id and event), for idempotency. */
  eventKey: string
}

export type InboundItem = InboundMessageItem | InboundStatusItem | InboundWatermarkItem | InboundTemplateStatusItem

/** The sender recorded on the customer's message this one answers (inbound.worker.ts `metadata.sender`), when of this kind. */
export function parentSender(parent: { metadata: Record<string, unknown> } | null | undefined, kind: string): string | undefined {
  const s = parent?.metadata.sender as { kind?: unknown; value?: unknown } | undefined
  return s?.kind === kind && typeof s.value === 'string' ? s.value : undefined
}

/** A stable key for an item, used as its job's identity so a replayed webhook enqueues nothing new. */
export function itemKey(item: InboundItem): string {
  switch (item.kind) {
    case 'message':
      return `m:${item.providerMessageId}`
    case 'status':
      return `s:${item.providerMessageId}:${item.status}`
    case 'watermark':
      return `w:${item.recipient}:${item.status}:${item.watermark}`
    case 'template-status':
      return `t:${item.eventKey}`
  }
}
