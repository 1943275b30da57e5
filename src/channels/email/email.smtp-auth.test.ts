import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import nodemailer from 'nodemailer'
import { useTestApp } from '../../../test/harness.ts'
import { emailInbox, send, uniqueAddress } from './test-helpers.ts'

// A throwaway self-signed certificate, so STARTTLS is exercised for real.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-smtp-tls-'))
const cert = path.join(dir, 'cert.pem')
const key = path.join(dir, 'key.pem')
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })

const t = await useTestApp({ SMTP_AUTH_USER: 'relay', SMTP_AUTH_PASSWORD: 'relay-secret-123', SMTP_TLS_CERT: cert, SMTP_TLS_KEY: key })
const { port } = await t.omnidesk.smtp.listen(0, '127.0.0.1')

const transport = (auth?: { user: string; pass: string }) =>
  nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, ...(auth && { auth }) })

test('with SMTP auth configured, mail needs STARTTLS + AUTH from the relay', async () => {
  const ws = await t.workspace()
  const address = uniqueAddress()
  await emailInbox(t, ws, address)
  const mail = { from: 'ada@example.com', to: address, subject: 'via relay', text: 'hello' }
  const anonymous = await send(transport(), mail)
  assert.equal(anonymous.code, 530, anonymous.response)
  const wrong = await send(transport({ user: 'relay', pass: 'nope' }), mail)
  assert.equal(wrong.code, 535, wrong.response)
  const ok = await send(transport({ user: 'relay', pass: 'relay-secret-123' }), mail)
  assert.equal(ok.code, 250, ok.response)
  assert.equal((await ws.get('/api/v1/email/inbound')).body.items.length, 1)
  fs.rmSync(dir, { recursive: true, force: true })
})
