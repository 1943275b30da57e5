/* global module */
// autocannon setupRequest for POST /api/v1/conversations: a new customer (contact +
// email identity) per request. CommonJS because autocannon's worker threads require() it;
// not idReplacement, whose fixed Content-Length guess is wrong for autocannon 8's ids.
const run = globalThis.crypto.randomUUID().slice(0, 12)
let n = 0
const text = 'Hello, my order #1234 arrived damaged: the box was crushed and the lid is cracked. Can you send a replacement? Thanks, a customer.'

module.exports = function setupRequest(req) {
  const id = `${run}-${++n}`
  return {
    ...req,
    body: JSON.stringify({ contact: { name: `Customer ${id}`, email: `c-${id}@bench.example` }, subject: `Damaged order ${id}`, message: { text } }),
  }
}
