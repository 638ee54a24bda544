/**
 * Who has a socket open right now: agents by user id (the console), customers by
 * `customerPresenceKey(requestId)` (their request's page). One node counts its own sockets; a
 * cluster shares the counts in Redis, so "is anyone still connected?" has one answer on every node.
 */
export interface Presence {
  connect(userId: string): Promise<void>;
  disconnect(userId: string): Promise<void>;
  onlineAmong(userIds: string[]): Promise<Set<string>>;
  close(): Promise<void>;
  /**
   * A PING on the shared store's connection (readiness probe), rejecting when it does not answer
   * within `timeoutMs`. Presence that keeps to this process (one node) has no such method.
   */
  ping?(timeoutMs: number): Promise<void>;
}

export class InProcessPresence implements Presence {
  private readonly sockets = new Map<string, number>();

  async connect(userId: string): Promise<void> {
    this.sockets.set(userId, (this.sockets.get(userId) ?? 0) + 1);
  }

  async disconnect(userId: string): Promise<void> {
    const n = (this.sockets.get(userId) ?? 0) - 1;
    if (n <= 0) this.sockets.delete(userId);
    else this.sockets.set(userId, n);
  }

  async onlineAmong(userIds: string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.sockets.has(id)));
  }

  async close(): Promise<void> {
    this.sockets.clear();
  }
}

/** The presence key of a customer's request page (never a user id: those are UUIDs without a prefix). */
export function customerPresenceKey(requestId: string): string {
  return `request:${requestId}`;
}
