import { apiChannel } from './api.ts'
import type { Channel, ChannelDefinition } from './channel.ts'
import { chatChannel } from '../../../channels/chat/config.ts'
import { emailChannel } from './email.ts'
import { instagramChannel } from './instagram.ts'
import { messengerChannel } from './messenger.ts'
import { smsChannel } from './sms.ts'
import { telegramChannel } from './telegram.ts'
import { voiceChannel } from './voice.ts'
import { whatsappChannel } from './whatsapp.ts'

/**
 * Every channel an inbox can be, keyed by channel. Business code looks a
 * channel up here instead of switching on it; a later issue replaces an
 * entry's `createAdapter` with the real provider.
 */
export const channelRegistry = {
  email: emailChannel,
  chat: chatChannel,
  sms: smsChannel,
  whatsapp: whatsappChannel,
  messenger: messengerChannel,
  instagram: instagramChannel,
  telegram: telegramChannel,
  voice: voiceChannel,
  api: apiChannel,
} as const satisfies { [C in Channel]: ChannelDefinition<C> }

export const channelDefinition = (channel: Channel): ChannelDefinition => channelRegistry[channel]
