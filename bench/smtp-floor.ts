import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** A bare smtp-server + mailparser that parses each mail before its 250 and stores nothing: the floor of any SMTP intake built on these libraries. */
export async function startSmtpFloor(): Promise<{ port: number; parsed: () => number; close: () => Promise<void> }> {
  let parsed = 0
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hideSTARTTLS: true,
    disableReverseLookup: true,
    size: 25 * 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        () => {
          parsed++
          callback()
        },
        (err: Error) => callback(err),
      )
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.server.address() as AddressInfo).port,
    parsed: () => parsed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
