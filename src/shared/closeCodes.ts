/**
 * WebSocket close codes the browser pages act on, beyond the refusals each socket class lists
 * (4401 signed out, 4403 wrong origin, 4404 no such request, 4429 too many).
 */

/**
 * The node is draining (SIGTERM/SIGINT: a restart or a deploy). The console and the customer page
 * reconnect at once, without backoff: the load balancer sends them to another node, which resyncs
 * them (a console snapshot; a customer page's messages after the last it had).
 */
export const DRAINING_CLOSE = 4503;
