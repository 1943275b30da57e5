/* global module, require, URLSearchParams */
// Builds each request of the webhook benchmark (bench/webhooks.ts): a new
// inbound SMS, form-encoded and signed with X-Twilio-Signature exactly as
// Twilio signs it, from a new sender each time. A CommonJS file because
// autocannon's worker threads require() it; settings come from the environment.
const { createHmac, randomBytes } = require('node:crypto') // eslint-disable-line @typescript-eslint/no-require-imports -- a CommonJS file, for autocannon's workers

const signUrl = process.env.BENCH_TWILIO_SIGN_URL
const token = process.env.BENCH_TWILIO_TOKEN
const accountSid = process.env.BENCH_TWILIO_ACCOUNT_SID
const to = process.env.BENCH_TWILIO_TO
// A random start, so reruns on the same database meet new senders.
let n = randomBytes(3).readUIntBE(0, 3) % 8_000_000

module.exports = function setupRequest(req) {
  const sid = `SM${randomBytes(16).toString('hex')}`
  const i = n++ % 8_000_000
  const from = `+1415${200 + Math.floor(i / 10_000)}${String(i % 10_000).padStart(4, '0')}`
  const params = { AccountSid: accountSid, ApiVersion: '2010-04-01', Body: 'Where is my order?', From: from, MessageSid: sid, NumMedia: '0', SmsMessageSid: sid, SmsSid: sid, SmsStatus: 'received', To: to }
  let data = signUrl
  for (const k of Object.keys(params).sort()) data += k + params[k]
  const signature = createHmac('sha1', token).update(data).digest('base64')
  return { ...req, method: 'POST', body: new URLSearchParams(params).toString(), headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } }
}
