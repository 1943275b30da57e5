import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseForm, twilioSignature, urlVariants, verifyTwilioSignature } from './twilio-signature.ts'

// Twilio's published worked example (twilio-php's "Validate Incoming Requests"
// and Twilio's security docs): auth token 12345, this URL and these parameters.
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2'
const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' }

test("Twilio's published example signs to RSOYDt4T1cUTdK1PDd93/VVr8B8=", () => {
  assert.equal(twilioSignature('12345', url, params), 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')
  assert.equal(verifyTwilioSignature('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params), true)
})

test('the same example with other numbers (a second published vector) signs to 0/KCTR6DLpKmkAf8muzZqo1nDgQ=', () => {
  const other = { ...params, Caller: '+12349013030', From: '+12349013030' }
  assert.equal(twilioSignature('12345', url, other), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=')
})

test('the form body as Twilio posts it verifies like the parameter map, whatever the order of fields', () => {
  const body = 'To=%2B18005551212&Digits=1234&From=%2B14158675309&Caller=%2B14158675309&CallSid=CA1234567890ABCDE'
  assert.equal(verifyTwilioSignature('12345', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, parseForm(body)), true)
})

test('a changed parameter, URL, token or a missing signature fails', () => {
  const sig = 'RSOYDt4T1cUTdK1PDd93/VVr8B8='
  assert.equal(verifyTwilioSignature('12345', sig, url, { ...params, Digits: '1235' }), false)
  assert.equal(verifyTwilioSignature('12345', sig, 'https://mycompany.com/myapp.php?foo=1&bar=3', params), false)
  assert.equal(verifyTwilioSignature('54321', sig, url, params), false)
  assert.equal(verifyTwilioSignature('12345', undefined, url, params), false)
  assert.equal(verifyTwilioSignature('12345', 'short', url, params), false)
})

test('a URL signed with its default port verifies without it, and the other way round', () => {
  assert.deepEqual(urlVariants('https://a.example/x?y=1'), ['https://a.example/x?y=1', 'https://a.example:443/x?y=1'])
  const sig = twilioSignature('tok', 'https://a.example:443/x', { A: '1' })
  assert.equal(verifyTwilioSignature('tok', sig, 'https://a.example/x', { A: '1' }), true)
  const sig2 = twilioSignature('tok', 'https://a.example/x', { A: '1' })
  assert.equal(verifyTwilioSignature('tok', sig2, 'https://a.example:443/x', { A: '1' }), true)
})

test('repeated parameters sign every value, each preceded by its name', () => {
  const p = parseForm('B=2&A=z&A=y')
  // A y A z B 2: names sorted, values of a repeated name sorted.
  assert.equal(twilioSignature('k', 'https://h/p', p), twilioSignature('k', 'https://h/pAyAz', { B: '2' }))
})
