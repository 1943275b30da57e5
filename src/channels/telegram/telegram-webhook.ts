import { AppError } from '../../platform/errors.ts'
import type { WebhookDefinition } from '../webhooks.ts'
import type { MessagingInbound } from '../meta/inbound.worker.ts'
import { parseJsonBody, type WebhookObserver } from '../meta/meta-webhooks.ts'
import { secretEquals } from '../meta/signature.ts'
import { webhookSecretFor } from './bot-api.ts'
import { telegramItems, telegramUpdateSchema } from './update.ts'

export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token'

/**
 * `POST /webhooks/telegram/<inboxId>`: Telegram sends the secret token given
 * to setWebhook in `X-Telegram-Bot-Api-Secret-Token`, compared in constant
 * time before the body is read. The update is stored by the job queue.
 */
export function telegramWebhook(inbound: MessagingInbound, observe?: WebhookObserver): WebhookDefinition {
  return {
    provider: 'telegram',
    channels: ['telegram'],
    async receive({ inbox, request }) {
      const token = inbox.secrets.botToken
      const ok = typeof token === 'string' && secretEquals(request.headers[TELEGRAM_SECRET_HEADER], webhookSecretFor(inbox.id, token))
      observe?.(inbox, ok)
      if (!ok)
        throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'X-Telegram-Bot-Api-Secret-Token is missing or wrong')
      await inbound.enqueue(inbox, telegramItems(parseJsonBody(request.body, telegramUpdateSchema)))
      return { status: 200 }
    },
  }
}
