import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { roles } from '../../platform/auth/actor.ts'
import { AppError } from '../../platform/errors.ts'
import { commonErrors, humanText, idParam, listOf, listQuery } from '../../platform/http/schemas.ts'
import type { UsersService } from './users.service.ts'
import { teamSchema, userSchema } from './users.types.ts'

const password = z.string().min(10, 'must be at least 10 characters').max(256)

export const usersRoutes =
  (users: UsersService, opts: { passwordRateLimit: number }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['Users and teams']
    // Guessing currentPassword with a stolen token or session is limited like sign-in
    // attempts (LOGIN_RATE_LIMIT per minute), per user.
    const ownPasswordChanges = app.createRateLimit({ max: opts.passwordRateLimit, timeWindow: '1 minute', keyGenerator: (req) => `own-password:${req.actor.userId}` })
    app.post('/users', {
      schema: {
        tags,
        summary: 'Create a user',
        body: z.strictObject({ email: z.email().max(320), name: humanText(200).pipe(z.string().min(1)), role: z.enum(roles), password: password.optional() }),
        response: { 201: userSchema, ...commonErrors },
      },
    }, async (req, reply) => reply.status(201).send(await users.create(req.actor, req.body)))

    app.get('/users', { schema: { tags, summary: 'List users', querystring: listQuery, response: { 200: listOf(userSchema), ...commonErrors } } }, async (req) =>
      users.list(req.actor, req.query),
    )

    app.get('/users/:id', { schema: { tags, summary: 'Get a user', params: idParam, response: { 200: userSchema, ...commonErrors } } }, async (req) =>
      users.get(req.actor, req.params.id),
    )

    app.patch('/users/:id', {
      schema: {
        tags,
        summary: 'Update a user (name, role, active, password). Changing your own password needs currentPassword; a reset by an admin ends that user\'s sessions and revokes their API tokens',
        params: idParam,
        body: z.strictObject({ name: humanText(200).pipe(z.string().min(1)).optional(), role: z.enum(roles).optional(), active: z.boolean().optional(), password: password.optional(), currentPassword: z.string().min(1).max(256).optional() }),
        response: { 200: userSchema, ...commonErrors },
      },
    }, async (req, reply) => {
      if (req.body.password !== undefined && req.actor.userId === req.params.id) {
        const attempt = await ownPasswordChanges(req)
        if (!attempt.isAllowed && attempt.isExceeded) {
          reply.header('retry-after', attempt.ttlInSeconds)
          throw new AppError('RATE_LIMITED', `Too many password changes: the limit is ${attempt.max} per minute; retry in ${attempt.ttlInSeconds} s`)
        }
      }
      return users.update(req.actor, req.params.id, req.body)
    })

    const teamBody = z.strictObject({
      name: humanText(100).pipe(z.string().min(1)),
      description: humanText(1000).nullable().optional(),
      memberIds: z.array(z.uuid()).max(1000).optional(),
    })
    app.get('/teams', { schema: { tags, summary: 'List teams with their members', response: { 200: z.object({ items: z.array(teamSchema), nextCursor: z.null() }), ...commonErrors } } }, async (req) => ({
      items: await users.listTeams(req.actor),
      nextCursor: null,
    }))
    app.post('/teams', { schema: { tags, summary: 'Create a team', body: teamBody, response: { 201: teamSchema, ...commonErrors } } }, async (req, reply) =>
      reply.status(201).send(await users.saveTeam(req.actor, null, req.body)),
    )
    app.get('/teams/:id', { schema: { tags, summary: 'Get a team', params: idParam, response: { 200: teamSchema, ...commonErrors } } }, async (req) =>
      users.getTeam(req.actor, req.params.id),
    )
    app.patch('/teams/:id', { schema: { tags, summary: 'Update a team or replace its members', params: idParam, body: teamBody.partial(), response: { 200: teamSchema, ...commonErrors } } }, async (req) =>
      users.saveTeam(req.actor, req.params.id, req.body),
    )
    app.post('/teams/:id/members', {
      schema: { tags, summary: 'Add one member to a team (nothing changes when already a member)', params: idParam, body: z.strictObject({ userId: z.uuid() }), response: { 200: teamSchema, ...commonErrors } },
    }, async (req) => users.addTeamMember(req.actor, req.params.id, req.body.userId))
    app.delete('/teams/:id/members/:userId', {
      schema: { tags, summary: 'Remove one member from a team (nothing changes when not a member)', params: z.strictObject({ id: z.uuid(), userId: z.uuid() }), response: { 200: teamSchema, ...commonErrors } },
    }, async (req) => users.removeTeamMember(req.actor, req.params.id, req.params.userId))
    app.delete('/teams/:id', { schema: { tags, summary: 'Delete a team', params: idParam, response: { 204: z.null(), ...commonErrors } } }, async (req, reply) => {
      await users.deleteTeam(req.actor, req.params.id)
      return reply.status(204).send(null)
    })
  }
