import { apiChannel } from '../../channels/api/index.ts'
import type { Channel, ChannelDefinition } from '../../channels/channel.ts'
import { chatChannel } from '../../channels/chat/config.ts'
import { emailChannel } from '../../channels/email/index.ts'
import { instagramChannel } from '../../channels/instagram/index.ts'
import { messengerChannel } from '../../channels/messenger/index.ts'
import { smsChannel } from '../../channels/sms/index.ts'
import { telegramChannel } from '../../channels/telegram/index.ts'
import { voiceChannel } from '../../channels/voice/index.ts'
import { whatsappChannel } from '../../channels/whatsapp/index.ts'

/**
 * Every channel an inbox can be, keyed by channel: each entry comes from the
 * channel's own folder (`src/channels/<channel>/index.ts`). Business code looks
 * a channel up here instead of switching on it; adding a channel is its folder
 * plus one line here.
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
