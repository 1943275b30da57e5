import type { ChannelAdapter, OutboundMessage } from '../channel.ts'

/**
 * The API channel's adapter. The message is already stored and visible
 * through the API and events: "sending" it is recording that.
 */
export const createApiAdapter = (): ChannelAdapter =>
  Object.freeze({
    channel: 'api',
    async send(msg: OutboundMessage) {
      return { ok: true as const, externalId: `api:${msg.messageId}` }
    },
  })
