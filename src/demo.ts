import type { Omnidesk } from './app.ts'

/** Demo data: filled in once the conversations API is in place. */
export async function loadDemoData(_o: Omnidesk, workspaceId: string): Promise<string> {
  return `Nothing loaded into ${workspaceId} yet.`
}
