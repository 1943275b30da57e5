import Fastify from 'fastify'
import { parseForm, verifyTwilioSignature } from '../src/channels/sms/twilio-signature.ts'

/**
 * The floor of bench/webhooks.ts, in a process of its own (so the app's
 * database work does not share its event loop): a bare route that parses the
 * form and checks X-Twilio-Signature, then answers the same empty TwiML,
 * storing nothing. Prints its URL on stdout.
 */
const [publicUrl, token] = process.argv.slice(2)
if (!publicUrl || !token) throw new Error('usage: webhook-floor.ts PUBLIC_URL AUTH_TOKEN')
const bare = Fastify({ logger: false })
bare.removeAllContentTypeParsers()
bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
bare.post('/webhooks/twilio/:inboxId', async (req, reply) => {
  const params = parseForm(req.body as Buffer)
  if (!verifyTwilioSignature(token, req.headers['x-twilio-signature'] as string | undefined, publicUrl + req.url, params)) return reply.status(401).send()
  return reply.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response/>')
})
console.log(await bare.listen({ port: 0, host: '127.0.0.1' }))
