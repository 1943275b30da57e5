import { after } from 'node:test'
import { startTestApp, type TestApp } from '../../test/harness.ts'
import { startMetaSandbox, type MetaSandbox } from './meta/sandbox.ts'
import { startTwilioSandbox, type TwilioSandbox } from './sms/sandbox.ts'

/** Where the outside world reaches the app in these tests (PUBLIC_URL); the Twilio sandbox routes it to the local port. */
export const SANDBOX_PUBLIC_URL = 'https://desk.example.test'

/**
 * For tests that drive several channels (not a test file itself): the app
 * listening on a local port behind SANDBOX_PUBLIC_URL, with the Twilio and
 * Meta sandboxes started, all closed after the file's tests.
 */
export async function useSandboxedApp(env: Record<string, string> = {}): Promise<{ t: TestApp; twilio: TwilioSandbox; meta: MetaSandbox }> {
  const twilio = await startTwilioSandbox()
  const meta = await startMetaSandbox()
  const t = await startTestApp({ PUBLIC_URL: SANDBOX_PUBLIC_URL, ...env }, { start: true })
  twilio.route(SANDBOX_PUBLIC_URL, await t.omnidesk.app.listen({ port: 0, host: '127.0.0.1' }))
  after(async () => {
    await t.close()
    await twilio.close()
    await meta.close()
  })
  return { t, twilio, meta }
}
