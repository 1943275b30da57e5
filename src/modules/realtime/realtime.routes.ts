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
 *   {"type":"subscribe","topics":["notifications"]}          your own notifications (notification.created events)
 *   {"type":"ping"}
 *   {"type":"viewing","conversationId":"<uuid>"}             collision detection: I have it open (repeat every ~5 s)
 *   {"type":"typing","conversationId":"<uuid>"}              I am typing a reply or note (repeat while typing)
 *   {"type":"left","conversationId":"<uuid>"}                I closed it (also implied when the socket closes)
 * Server → client:
 *   {"type":"ready","workspaceId":"…"}                       authenticated; subscribe now
 *   {"type":"subscribed","topics":[…]}                       after (un)subscribe: the topics now held
 *   {"type":"event","event":{id,type,conversationId,contactId,actor,payload,createdAt}}
 *   {"type":"pong"}
 *   {"type":"presence","conversationId":"…","users":[{userId,name,typing}]}
 *     to holders of conversation:<id> whenever who is viewing/typing changes (and
 *     on subscribing, if anyone is); viewing expires 15 s, typing 6 s after the last frame
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
import { acceptConnection, type ConnectionContext } from './realtime.connection.ts'

export const realtimeRoutes =
  (deps: ConnectionContext): FastifyPluginAsync =>
  async (app) => {
    // Public to the HTTP auth hook: the connection authenticates itself, so that
    // browsers can use the auth frame and every refusal is a 4401 close.
    app.get('/realtime', { websocket: true, config: { public: true } }, (socket, req) => acceptConnection(socket, req, deps))
  }
