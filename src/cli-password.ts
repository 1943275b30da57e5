import { AppError } from './platform/errors.ts'

/**
 * Where the command line takes a password from — never from its own arguments,
 * which other users see in `ps` and which land in shell history:
 *   1. `--password-stdin`: all of standard input (one trailing newline dropped);
 *   2. the `OMNIDESK_PASSWORD` environment variable;
 *   3. a prompt that does not echo, when standard input is a terminal.
 * Otherwise there is no password (the user signs in only once one is set).
 */
export interface PasswordSource {
  stdin: boolean
  env: NodeJS.ProcessEnv
  /** What the prompt asks for, e.g. "Password for ann@acme.test". */
  label: string
  /** A password is required (no "empty for none"). */
  required?: boolean
}

export const PASSWORD_ARGUMENT_REFUSED =
  'passwords are not accepted as arguments (other users see them in `ps`, and they stay in shell history): ' +
  'pipe it with --password-stdin, set OMNIDESK_PASSWORD, or leave both out to be prompted (without echo) on a terminal'

export async function readPassword(src: PasswordSource): Promise<string | undefined> {
  let value: string | undefined
  if (src.stdin) value = await readAllStdin()
  else if (src.env.OMNIDESK_PASSWORD) value = src.env.OMNIDESK_PASSWORD
  else if (process.stdin.isTTY) {
    value = await promptHidden(`${src.label}${src.required ? '' : ' (empty: none)'}: `)
    if (value) {
      const again = await promptHidden('Again: ')
      if (again !== value) throw new AppError('VALIDATION_FAILED', 'the two passwords differ')
    }
  }
  if (!value) {
    if (src.required) throw new AppError('VALIDATION_FAILED', `a password is required: ${PASSWORD_ARGUMENT_REFUSED.slice(PASSWORD_ARGUMENT_REFUSED.indexOf('pipe'))}`)
    return undefined
  }
  // The same bounds as the API's password field.
  if (value.length < 10 || value.length > 256) throw new AppError('VALIDATION_FAILED', 'the password must be 10 to 256 characters long')
  return value
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

// Keys typed ahead of a prompt (the second one, typically) wait here for it.
let typedAhead = ''

/** Reads one line from the terminal in raw mode, echoing nothing. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(question)
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let value = ''
    const finish = () => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
    }
    const onData = (chunk: string) => {
      const keys = [...chunk]
      for (let i = 0; i < keys.length; i++) {
        const ch = keys[i] as string
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          typedAhead = keys.slice(i + 1).join('').replace(/^\n/, '')
          finish()
          return resolve(value)
        }
        if (ch === '\u0003') {
          finish()
          return reject(new AppError('VALIDATION_FAILED', 'cancelled'))
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
    stdin.resume()
    if (typedAhead) {
      const pending = typedAhead
      typedAhead = ''
      onData(pending)
    }
  })
}
