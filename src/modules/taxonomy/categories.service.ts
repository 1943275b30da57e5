import { type Actor, authorize } from '../../platform/auth/actor.ts'
import { recordAudit } from '../../platform/audit/audit.ts'
import type { Tx } from '../../platform/db/tenant.ts'
import { AppError, conflict, isUniqueViolation, notFound, unprocessable } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import * as repo from './taxonomy.repository.ts'
import { type Category, toCategoryTree } from './taxonomy.types.ts'

/** The tree is listed whole, so its size is bounded. */
export const maxCategories = 1000

export function createCategoriesService(p: Platform) {
  const treeOf = async (trx: Tx, workspaceId: string) => toCategoryTree(await repo.listCategories(trx, workspaceId))

  const nodeIn = (tree: Category[], id: string): Category => {
    const node = tree.find((c) => c.id === id)
    if (!node) throw notFound('Category')
    return node
  }

  const requireParent = (tree: Category[], parentId: string): Category => {
    const parent = tree.find((c) => c.id === parentId)
    if (!parent) throw new AppError('VALIDATION_FAILED', 'Unknown parent category', [{ field: 'body.parentId', message: `no category ${parentId} in this workspace` }])
    return parent
  }

  const refuseDuplicate = async (trx: Tx, workspaceId: string, parentId: string | null, name: string, exceptId: string | null) => {
    if (await repo.siblingNamed(trx, workspaceId, parentId, name, exceptId))
      throw conflict(`A category named "${name}" already exists ${parentId ? 'under this parent' : 'at the top level'}`, [{ field: 'body.name', message: 'is taken by a sibling (names compare case-insensitively)' }])
  }

  /** Writes that race past the sibling check still meet the unique index: report those as 409 too. */
  const asConflict = (err: unknown, name: string | undefined): never => {
    if (isUniqueViolation(err)) throw conflict(`A category named "${name}" already exists under this parent`)
    throw err
  }

  return {
    async listCategories(actor: Actor): Promise<{ items: Category[]; nextCursor: null }> {
      authorize(actor, 'taxonomy:read')
      const items = await p.tx(actor, (trx) => treeOf(trx, actor.workspaceId))
      return { items, nextCursor: null }
    },

    async getCategory(actor: Actor, id: string): Promise<Category> {
      authorize(actor, 'taxonomy:read')
      return nodeIn(await p.tx(actor, (trx) => treeOf(trx, actor.workspaceId)), id)
    },

    async createCategory(actor: Actor, input: { name: string; parentId?: string | null | undefined }): Promise<Category> {
      authorize(actor, 'taxonomy:write')
      const ws = actor.workspaceId
      const parentId = input.parentId ?? null
      return p.tx(actor, async (trx) => {
        await repo.lockCategoryTree(trx, ws)
        if ((await repo.countCategories(trx, ws)) >= maxCategories) throw unprocessable(`A workspace may have at most ${maxCategories} categories`)
        if (parentId) requireParent(await treeOf(trx, ws), parentId)
        await refuseDuplicate(trx, ws, parentId, input.name, null)
        const row = await repo.insertCategory(trx, ws, { name: input.name, parentId }).catch((err) => asConflict(err, input.name))
        const created = nodeIn(await treeOf(trx, ws), row.id)
        await recordAudit(trx, actor, { action: 'category.created', entityType: 'category', entityId: row.id, changes: { after: { name: created.name, parentId, path: created.path } } })
        return created
      })
    },

    async updateCategory(actor: Actor, id: string, patch: { name?: string | undefined; parentId?: string | null | undefined }): Promise<Category> {
      authorize(actor, 'taxonomy:write')
      const ws = actor.workspaceId
      return p.tx(actor, async (trx) => {
        await repo.lockCategoryTree(trx, ws)
        const tree = await treeOf(trx, ws)
        const before = nodeIn(tree, id)
        const parentId = patch.parentId === undefined ? before.parentId : patch.parentId
        const name = patch.name ?? before.name
        if (parentId !== before.parentId && parentId !== null) {
          // Walk up from the new parent: meeting the category itself means the move would close a loop.
          for (let at: Category | undefined = requireParent(tree, parentId); at; at = tree.find((c) => c.id === at?.parentId)) {
            if (at.id === id)
              throw unprocessable('A category cannot be moved under itself or one of its descendants', [{ field: 'body.parentId', message: 'would create a cycle' }])
          }
        }
        if (parentId !== before.parentId || name.toLowerCase() !== before.name.toLowerCase()) await refuseDuplicate(trx, ws, parentId, name, id)
        const set = {
          ...(name !== before.name && { name }),
          ...(parentId !== before.parentId && { parent_id: parentId }),
        }
        if (Object.keys(set).length === 0) return before
        await repo.updateCategory(trx, ws, id, set).catch((err) => asConflict(err, name))
        const after = nodeIn(await treeOf(trx, ws), id)
        await recordAudit(trx, actor, {
          action: 'category.updated',
          entityType: 'category',
          entityId: id,
          changes: { before: { name: before.name, parentId: before.parentId, path: before.path }, after: { name: after.name, parentId: after.parentId, path: after.path } },
        })
        return after
      })
    },

    /** Deletes a category with its whole subtree; conversations in it become uncategorised. */
    async deleteCategory(actor: Actor, id: string): Promise<void> {
      authorize(actor, 'taxonomy:write')
      const ws = actor.workspaceId
      await p.tx(actor, async (trx) => {
        await repo.lockCategoryTree(trx, ws)
        const tree = await treeOf(trx, ws)
        const node = nodeIn(tree, id)
        // The flat list is depth-first, so the subtree is the run of entries whose path extends this one's.
        const start = tree.indexOf(node)
        const subtree = [node]
        for (const c of tree.slice(start + 1)) {
          if (c.path.length <= node.path.length) break
          subtree.push(c)
        }
        await repo.deleteCategory(trx, ws, id)
        await recordAudit(trx, actor, {
          action: 'category.deleted',
          entityType: 'category',
          entityId: id,
          changes: { before: { name: node.name, parentId: node.parentId, path: node.path }, deletedDescendants: subtree.slice(1).map((c) => ({ id: c.id, path: c.path })) },
        })
      })
    },
  }
}
