/**
 * Realtime protocol — WebSocket at GET /api/v1/realtime, JSON text frames.
 *
 * Authentication, one of:
 *   - at upgrade: `Authorization: Bearer <token>` or the `omnidesk_session` cookie
 *     (the cookie only from the app's own origin, or from clients sending no Origin);
 *   - browsers, which cannot set headers on a WebSocket: the FIRST frame
 *     `{"type":"auth","token":"<api token>"}` within 5 s.
 *   Tokens are never accepted in the URL (URLs end up in logs). Without valid
 *   credentials the socket is closed with code 4401 and a reason; a role that may
 *   not read conversations gets 4403. Credentials are re-checked at every
 *   heartbeat: a revoked token or ended session closes the socket with 4401.
 *
 * Client → server:
 *   {"type":"auth","token":"…"}                              (first frame, see above)
 *   {"type":"subscribe","topics":["conversations"]}          every event that has a conversationId
 *   {"type":"subscribe","topics":["conversation:<uuid>"]}    the events of one conversation
 *   {"type":"unsubscribe","topics":[…]}
 *   {"type":"ping"}
 * Server → client:
 *   {"type":"ready","workspaceId":"…"}                       authenticated; subscribe now
 *   {"type":"subscribed","topics":[…]}                       after (un)subscribe: the topics now held
 *   {"type":"event","event":{id,type,conversationId,contactId,actor,payload,createdAt}}
 *   {"type":"pong"}
 *   {"type":"error","code":"INVALID_JSON"|"VALIDATION_FAILED"|"UNPROCESSABLE","message":"…","details"?:[…]}
 *     for a bad frame (invalid JSON, unknown type, bad topic, over 100 topics);
 *     the socket stays open.
 *
 * Only events of the connection's workspace are sent, only for subscribed
 * topics, and only after their transaction committed (they come from the
 * outbox). Delivery is at least once: de-duplicate by event `id`. Events are
 * not replayed: after a reconnect, refetch over REST. The server sends
 * protocol-level pings every 30 s and drops sockets that do not answer; a client
 * that reads too slowly is closed with 4408.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Authenticator } from '../../platform/http/auth.ts'
import type { Logger } from '../../platform/observability/logger.ts'
import { acceptConnection, type RealtimeOptions } from './realtime.connection.ts'
import type { RealtimeHub } from './realtime.hub.ts'

export const realtimeRoutes =
  (deps: { hub: RealtimeHub; authenticate: Authenticator; logger: Logger; options: RealtimeOptions }): FastifyPluginAsync =>
  async (app) => {
    // Public to the HTTP auth hook: the connection authenticates itself, so that
    // browsers can use the auth frame and every refusal is a 4401 close.
    app.get('/realtime', { websocket: true, config: { public: true } }, (socket, req) => acceptConnection(socket, req, deps))
  }
