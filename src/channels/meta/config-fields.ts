import { z } from 'zod'
import { secret } from '../channel.ts'

/** Where the provider's API is: default its public one; a sandbox, proxy or regional endpoint can stand in. */
export const apiBaseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(500)
  .meta({ description: "The provider API's base URL (default: the provider's public API); a local sandbox or a proxy can stand in" })

/** The token typed into the Meta app's webhook settings: the GET handshake echoes the challenge only for it. */
export const verifyToken = secret('Secret: the verify token entered in the Meta app webhook settings; stored encrypted, never returned')
