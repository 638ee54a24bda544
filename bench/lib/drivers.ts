import http from "node:http";
import type { Seed } from "../seed.js";
import { PICK_SLUG, QUESTION_SLUG } from "../seed.js";
import type { SocketSpec } from "./fleet.js";
import { cookieFrom, type HttpResult, httpRequest, jsonOf } from "./http.js";

/** The server under test as the simulated browsers see it: where to connect and how to ask. */
export interface Driver {
  /** For the progress log: helpgate, postgres, cluster, baseline. */
  readonly name: string;
  readonly agentCount: number;
  agentId(agent: number): string;
  agentSocket(agent: number): SocketSpec;
  /** After the agent's console has its snapshot: set available. */
  prepareAgent(agent: number): Promise<void>;
  idleCustomerSocket(customer: number): SocketSpec;
  /** A customer asks at the question portal (broadcast to every agent). */
  submit(customerName: string): Promise<{ res: HttpResult; requestId: string; customer: SocketSpec }>;
  accept(agent: number, requestId: string): Promise<HttpResult>;
  endSession(agent: number, requestId: string): Promise<void>;
  /** A chat session between a new customer and this agent, ready for messages. */
  openChat(index: number, agent: number): Promise<{ sessionId: string; customer: SocketSpec }>;
}

function wsUrl(base: string, query: string): string {
  return `${base.replace(/^http/, "ws")}/ws${query}`;
}

/** Browsers open one connection each; the pool lets every simulated person have theirs. */
function pool(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 2048, maxFreeSockets: 2048 });
}

export class HelpgateDriver implements Driver {
  private readonly agentHttp = pool();
  private readonly customerHttp = pool();

  /** One node: the same base twice. A cluster: customers on one node, agent i on agentBases[i mod n]. */
  constructor(
    readonly name: string,
    private readonly customerBase: string,
    private readonly agentBases: string[],
    private readonly seed: Seed,
  ) {}

  get agentCount(): number {
    return this.seed.agents.length;
  }

  private baseOfAgent(agent: number): string {
    return this.agentBases[agent % this.agentBases.length] as string;
  }

  private agentHeaders(agent: number): Record<string, string> {
    const a = this.seed.agents[agent];
    if (!a) throw new Error(`no agent ${agent}`);
    return { cookie: `hg_session=${a.token}`, origin: this.baseOfAgent(agent) };
  }

  agentId(agent: number): string {
    return this.seed.agents[agent]?.id ?? "";
  }

  agentSocket(agent: number): SocketSpec {
    return { url: wsUrl(this.baseOfAgent(agent), ""), headers: this.agentHeaders(agent) };
  }

  async prepareAgent(agent: number): Promise<void> {
    const res = await httpRequest(`${this.baseOfAgent(agent)}/api/v1/console/availability`, {
      method: "PUT",
      headers: this.agentHeaders(agent),
      json: { available: true },
      agent: this.agentHttp,
    });
    jsonOf(res, 200, "PUT /api/v1/console/availability");
  }

  idleCustomerSocket(customer: number): SocketSpec {
    const c = this.seed.idleCustomers[customer];
    if (!c) throw new Error(`no seeded customer ${customer}`);
    return {
      url: wsUrl(this.customerBase, `?request=${c.requestId}`),
      headers: { cookie: `hgc_${c.requestId}=${c.token}`, origin: this.customerBase },
    };
  }

  private async ask(
    slug: string,
    values: Record<string, string>,
    agentId?: string,
  ): Promise<{ res: HttpResult; requestId: string; customer: SocketSpec }> {
    const res = await httpRequest(`${this.customerBase}/api/v1/portals/${slug}/requests`, {
      method: "POST",
      headers: { origin: this.customerBase },
      json: agentId ? { values, agentId } : { values },
      agent: this.customerHttp,
    });
    const { requestId } = jsonOf<{ requestId: string }>(res, 201, `POST /api/v1/portals/${slug}/requests`);
    const token = cookieFrom(res, `hgc_${requestId}`);
    if (!token) throw new Error("the request's cookie was not set");
    return {
      res,
      requestId,
      customer: {
        url: wsUrl(this.customerBase, `?request=${requestId}`),
        headers: { cookie: `hgc_${requestId}=${token}`, origin: this.customerBase },
      },
    };
  }

  submit(customerName: string) {
    return this.ask(QUESTION_SLUG, {
      name: customerName,
      email: "customer@example.com",
      question: "My printer shows error E-42 after the update; can you help me get it working again?",
    });
  }

  accept(agent: number, requestId: string): Promise<HttpResult> {
    return httpRequest(`${this.baseOfAgent(agent)}/api/v1/requests/${requestId}/accept`, {
      method: "POST",
      headers: this.agentHeaders(agent),
      agent: this.agentHttp,
    });
  }

  async endSession(agent: number, requestId: string): Promise<void> {
    const res = await httpRequest(`${this.baseOfAgent(agent)}/api/v1/sessions/${requestId}/end`, {
      method: "POST",
      headers: this.agentHeaders(agent),
      agent: this.agentHttp,
    });
    if (res.status !== 204) throw new Error(`end session: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  }

  async openChat(index: number, agent: number): Promise<{ sessionId: string; customer: SocketSpec }> {
    const asked = await this.ask(
      PICK_SLUG,
      { name: `Chat customer ${index}`, question: "Can we chat about my order?" },
      this.agentId(agent),
    );
    jsonOf(await this.accept(agent, asked.requestId), 200, "accept (chat setup)");
    return { sessionId: asked.requestId, customer: asked.customer };
  }
}

export class BaselineDriver implements Driver {
  readonly name = "baseline";
  private readonly agentHttp = pool();
  private readonly customerHttp = pool();

  constructor(
    private readonly base: string,
    readonly agentCount: number,
  ) {}

  agentId(agent: number): string {
    return `agent-${agent}`;
  }

  agentSocket(agent: number): SocketSpec {
    return { url: wsUrl(this.base, `?agent=${agent}`), headers: { origin: this.base } };
  }

  async prepareAgent(): Promise<void> {}

  idleCustomerSocket(customer: number): SocketSpec {
    return { url: wsUrl(this.base, `?request=idle-${customer}`), headers: { origin: this.base } };
  }

  async submit(customerName: string) {
    const res = await httpRequest(`${this.base}/api/v1/portals/${QUESTION_SLUG}/requests`, {
      method: "POST",
      headers: { origin: this.base },
      json: {
        values: {
          name: customerName,
          email: "customer@example.com",
          question: "My printer shows error E-42 after the update; can you help me get it working again?",
        },
      },
      agent: this.customerHttp,
    });
    const { requestId } = jsonOf<{ requestId: string }>(res, 201, "baseline submit");
    return {
      res,
      requestId,
      customer: { url: wsUrl(this.base, `?request=${requestId}`), headers: { origin: this.base } },
    };
  }

  accept(agent: number, requestId: string): Promise<HttpResult> {
    return httpRequest(`${this.base}/api/v1/requests/${requestId}/accept`, {
      method: "POST",
      headers: { origin: this.base, "x-bench-agent": String(agent) },
      agent: this.agentHttp,
    });
  }

  async endSession(): Promise<void> {}

  async openChat(index: number, agent: number): Promise<{ sessionId: string; customer: SocketSpec }> {
    const sessionId = `chat-${index}`;
    return {
      sessionId,
      customer: {
        url: wsUrl(this.base, `?request=${sessionId}&agent=${agent}`),
        headers: { origin: this.base },
      },
    };
  }
}
