import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commonErrors } from '../../platform/http/schemas.ts'
import { userSchema } from '../users/index.ts'
import type { WorkspacesService } from './workspaces.service.ts'
import { workspaceSchema, workspaceSettingsInput, workspaceSettingsPatch } from './workspaces.types.ts'

export const workspacesRoutes =
  (workspaces: WorkspacesService): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Workspaces']
    app.post('/workspaces', {
      schema: {
        tags,
        summary: 'Create a workspace (instance owner only). Returns an admin API token of the new workspace, shown once.',
        body: workspaceSettingsInput.extend({
          admin: z.strictObject({ email: z.email().max(320), name: z.string().trim().min(1).max(200), password: z.string().min(10).max(256).optional() }).optional(),
        }),
        response: { 201: z.object({ workspace: workspaceSchema, admin: userSchema, token: z.string() }), ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await workspaces.create(req.actor, req.body)))

    app.get('/workspace', { schema: { tags, summary: 'The current workspace and its settings', response: { 200: workspaceSchema, ...commonErrors } } }, async (req) =>
      workspaces.getCurrent(req.actor),
    )

    app.patch('/workspace', {
      schema: { tags, summary: 'Update the current workspace settings', body: workspaceSettingsPatch, response: { 200: workspaceSchema, ...commonErrors } },
    }, async (req) => workspaces.update(req.actor, req.body))
  }
