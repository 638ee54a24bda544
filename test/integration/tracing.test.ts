import { randomBytes } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { silentLog } from "../../src/server/bus/redis.js";
import { RedisBus } from "../../src/server/bus/redisBus.js";
import { ConfigError, loadConfig } from "../../src/server/config.js";
import type { Dialect } from "../../src/server/db/database.js";
import { startTracing, type Tracing } from "../../src/server/tracing.js";
import type { CustomerServerMessage } from "../../src/shared/protocol.js";
import { PASSWORD } from "../support/app.js";
import { dialects } from "../support/databases.js";
import { type ServerNode, startNode, stopNode, waitExit } from "../support/nodes.js";
import {
  type OtlpReceiver,
  type ReceivedSpan,
  SPAN_KIND,
  startOtlpReceiver,
} from "../support/otlpReceiver.js";
import { eventually, REDIS_URL, uniquePrefix } from "../support/redis.js";
import {
  type Agent,
  type AgentSocket,
  accept,
  ask,
  type CustomerSocket,
  connectCustomer,
  createPortal,
  isStatus,
  onlineAgent,
  type Submitted,
  seedAgent,
  seedTenant,
  type Tenant,
  type World,
} from "../support/scenario.js";
import { startTracedWorld } from "../support/tracedWorld.js";

const LOAD_RECORDER = pathToFileURL(path.resolve(import.meta.dirname, "../support/loadRecorder.mjs")).href;

const serverSpans = (spans: ReceivedSpan[]) => spans.filter((s) => s.kind === SPAN_KIND.server);
const withRoute = (spans: ReceivedSpan[], method: string, route: string) =>
  serverSpans(spans).filter(
    (s) => s.attributes["http.request.method"] === method && s.attributes["http.route"] === route,
  );
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);

/** The value of each `name=value` pair of a Cookie header. */
const cookieValues = (header: string) =>
  header
    .split(";")
    .map((p) => p.trim().split("=").slice(1).join("="))
    .filter((v) => v.length > 0);

/**
 * A sign-in over a real socket whose body arrives in two pieces, a moment apart: the second piece
 * is read in the socket's own async context, not the request's (the handler must get the span back).
 */
async function signInInTwoPieces(origin: string, email: string): Promise<string> {
  const url = new URL(origin);
  const body = JSON.stringify({ email, password: PASSWORD });
  const half = Math.floor(body.length / 2);
  const socket = net.connect(Number(url.port), url.hostname);
  await once(socket, "connect");
  const answer: Buffer[] = [];
  socket.on("data", (d: Buffer) => answer.push(d));
  socket.write(
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${url.host}\r\nOrigin: ${origin}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body.slice(0, half)}`,
  );
  await new Promise((r) => setTimeout(r, 100));
  socket.write(body.slice(half));
  await once(socket, "close");
  return Buffer.concat(answer).toString("utf8").split("\r\n", 1)[0] ?? "";
}

describe.each(dialects())("tracing on %s", (dialect: Dialect) => {
  const useRedis = dialect === "postgres" && inject("redis");
  const busSystem = useRedis ? "redis" : "in-process";
  const dbSystem = dialect === "postgres" ? "postgresql" : "sqlite";
  const nodeId = `tracing-test-${dialect}:${process.pid}`;
  const chatBody = `the printer says PC LOAD LETTER ${randomBytes(4).toString("hex")}`;
  const question = `question ${randomBytes(4).toString("hex")}`;
  const queryToken = `tok${randomBytes(8).toString("hex")}`;
  const callerTrace = randomBytes(16).toString("hex");
  const callerSpan = randomBytes(8).toString("hex");
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let world: World;
  let tenant: Tenant;
  let agent: Agent;
  let submitted: Submitted;
  const sockets: (AgentSocket | CustomerSocket)[] = [];
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startTracing({ tracesUrl: receiver.tracesUrl, serviceName: "helpgate-under-test", nodeId });
    const bus = useRedis
      ? new RedisBus({ url: REDIS_URL, prefix: uniquePrefix("tracing"), nodeId, log: silentLog, tracing })
      : undefined;
    await bus?.ready();
    world = await startTracedWorld(dialect, tracing, bus ? { bus } : {});

    // Sign-ins (the admin's and the agent's), a portal, a submit, an accept, a chat message.
    tenant = await seedTenant(world, "tracing");
    agent = await seedAgent(world, tenant, "tess");
    expect(await signInInTwoPieces(world.origin, agent.user.email)).toBe("HTTP/1.1 200 OK");
    const slug = (await createPortal(world, tenant, "question", [agent])).slug;
    sockets.push(await onlineAgent(world, agent));
    submitted = await ask(world, slug, { name: "Carla", question });
    const cws = await connectCustomer(world, submitted.requestId, submitted.cookie);
    sockets.push(cws);
    expect((await accept(world, agent, submitted.requestId)).status).toBe(200);
    await cws.next(isStatus("accepted"));
    cws.send({ type: "send", body: chatBody, ref: "m1" });
    const ack = await cws.next(
      (m: CustomerServerMessage) => (m.type === "ack" || m.type === "error") && m.ref === "m1",
    );
    expect(ack.type).toBe("ack");
    // A link's token in the query string, and a caller's trace context.
    const page = await world.app.server.inject({ method: "GET", url: `/password?token=${queryToken}` });
    expect(page.statusCode).toBe(410); // an unknown link: the page says so
    const traced = await world.app.server.inject({
      method: "GET",
      url: "/healthz",
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    expect(traced.statusCode).toBe(200);

    // Spans go out in batches: flush until the chat message's publish (the last thing done) is in.
    await eventually(
      async () => {
        await tracing.forceFlush();
        return receiver.spans.some(
          (s) => s.kind === SPAN_KIND.producer && s.attributes["helpgate.event.type"] === "message",
        );
      },
      15_000,
      "the chat message's publish span",
    );
    await eventually(
      async () => {
        await tracing.forceFlush();
        return withRoute(receiver.spans, "GET", "/healthz").length > 0;
      },
      15_000,
      "the /healthz span",
    );
    spans = receiver.spans;
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await world?.close();
    await tracing?.shutdown();
    await receiver?.close();
  });

  it("receives OTLP/HTTP JSON from a resource named by the service and the node", () => {
    expect(receiver.refused).toEqual([]);
    expect(spans.length).toBeGreaterThan(20);
    for (const s of spans) {
      expect(s.resource["service.name"]).toBe("helpgate-under-test");
      expect(s.resource["service.instance.id"]).toBe(nodeId);
      expect(s.resource["helpgate.node.id"]).toBe(nodeId);
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("has an HTTP server span per request, named by its route template, with method and status", () => {
    const [login] = withRoute(spans, "POST", "/api/v1/auth/login");
    expect(login?.name).toBe("POST /api/v1/auth/login");
    expect(login?.attributes["http.response.status_code"]).toBe(200);
    const [submit] = withRoute(spans, "POST", "/api/v1/portals/:slug/requests");
    expect(submit?.name).toBe("POST /api/v1/portals/:slug/requests");
    expect(submit?.attributes["http.response.status_code"]).toBe(201);
    const [acceptSpan] = withRoute(spans, "POST", "/api/v1/requests/:requestId/accept");
    expect(acceptSpan?.attributes["http.response.status_code"]).toBe(200);
    // The WebSocket upgrades (console and customer page) are spans too, ended once upgraded.
    expect(
      serverSpans(spans).filter((s) => s.attributes["helpgate.websocket"] === true).length,
    ).toBeGreaterThanOrEqual(2);
    // Never the address itself: no url.* but the scheme, the id-free template only.
    for (const s of serverSpans(spans)) {
      expect(Object.keys(s.attributes).filter((k) => k.startsWith("url.") && k !== "url.scheme")).toEqual([]);
    }
  });

  it("makes a request's span the child of the caller's (traceparent)", () => {
    const [health] = withRoute(spans, "GET", "/healthz");
    expect(health?.traceId).toBe(callerTrace);
    expect(health?.parentSpanId).toBe(callerSpan);
  });

  it("has a span per database statement, child of the request's span, with the SQL text", () => {
    const queries = spans.filter((s) => s.kind === SPAN_KIND.client);
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      expect(q.attributes["db.system"]).toBe(dbSystem);
      expect(q.attributes["db.system.name"]).toBe(dbSystem);
      expect(typeof q.attributes["db.query.text"]).toBe("string");
    }
    // The migrations ran through the same database: their statements have no request around them.
    expect(queries.some((q) => /create table/i.test(String(q.attributes["db.query.text"])))).toBe(true);
    // Every sign-in (the admin's, the agent's twice, once with its body in two pieces) looked up its user.
    const logins = withRoute(spans, "POST", "/api/v1/auth/login");
    expect(logins).toHaveLength(3);
    for (const login of logins) {
      const loginQueries = childrenOf(spans, login).filter((s) => s.kind === SPAN_KIND.client);
      expect(loginQueries.map((q) => q.attributes["db.collection.name"])).toContain("users");
    }
    const [submit] = withRoute(spans, "POST", "/api/v1/portals/:slug/requests");
    if (!submit) throw new Error("no submit span");
    const inserts = childrenOf(spans, submit).filter((s) => s.attributes["db.operation.name"] === "INSERT");
    expect(inserts.map((q) => q.attributes["db.collection.name"])).toContain("requests");
  });

  it(`has a span per bus publish (${busSystem}), child of the request that made the change`, () => {
    const publishes = spans.filter((s) => s.kind === SPAN_KIND.producer);
    for (const p of publishes) {
      expect(p.attributes["messaging.system"]).toBe(busSystem);
      expect(p.name).toBe(`publish ${p.attributes["messaging.destination.template"]}`);
    }
    const [acceptSpan] = withRoute(spans, "POST", "/api/v1/requests/:requestId/accept");
    if (!acceptSpan) throw new Error("no accept span");
    const fromAccept = childrenOf(spans, acceptSpan).filter((s) => s.kind === SPAN_KIND.producer);
    expect(fromAccept.map((p) => p.attributes["helpgate.event.type"])).toContain("request.updated");
    const message = publishes.find((p) => p.attributes["helpgate.event.type"] === "message");
    expect(String(message?.attributes["messaging.destination.name"])).toMatch(/^(session|request):/);
    expect(spans.filter((s) => s.statusCode === 2 && s.kind === SPAN_KIND.producer)).toEqual([]);
  });

  it("sends no secret and no value: passwords, cookies, tokens, parameters, messages", () => {
    const everything = receiver.bodies.join("\n");
    const secrets = [
      PASSWORD,
      ...cookieValues(tenant.adminCookie),
      ...cookieValues(agent.cookie),
      ...cookieValues(submitted.cookie),
      queryToken,
      // Bound parameters of the statements, and what people wrote.
      tenant.admin.email,
      agent.user.email,
      question,
      chatBody,
    ];
    expect(secrets.every((s) => s.length >= 8)).toBe(true);
    expect(secrets.filter((s) => everything.includes(s))).toEqual([]);
    const keys = new Set(spans.flatMap((s) => Object.keys(s.attributes)));
    expect([...keys].filter((k) => /cookie|authorization|password|token|header/i.test(k))).toEqual([]);
    // The page's route, not its address.
    expect(withRoute(spans, "GET", "/password")).toHaveLength(1);
  });
});

describe("tracing in the real server (main.ts)", () => {
  let receiver: OtlpReceiver;
  const dirs: string[] = [];
  const nodes: ServerNode[] = [];
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => stopNode(n)));
    await receiver?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** A real node on a SQLite file of its own, recording the modules it loads; stopped with SIGTERM. */
  async function runNode(name: string, env: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `helpgate-tracing-${name}-`));
    dirs.push(dir);
    const loaded = path.join(dir, "loaded.txt");
    const node = await startNode(name, {
      DATABASE_URL: `sqlite:${path.join(dir, "helpgate.sqlite")}`,
      HELPGATE_DATA_DIR: dir,
      HELPGATE_DEMO: "0",
      HELPGATE_ADMIN_PASSWORD: PASSWORD,
      HELPGATE_TEST_LOADED_MODULES: loaded,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${LOAD_RECORDER}`.trim(),
      OTEL_EXPORTER_OTLP_ENDPOINT: "",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
      ...env,
    });
    nodes.push(node);
    const login = await fetch(`${node.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: node.url },
      body: JSON.stringify({ email: "operator@helpgate.local", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    expect((await fetch(`${node.url}/readyz?token=${PASSWORD}`)).status).toBe(200);
    node.child.kill("SIGTERM");
    expect(await waitExit(node.child, 15_000)).toBe(true);
    expect(node.child.exitCode, node.output.join("")).toBe(0);
    const modules = fs.readFileSync(loaded, "utf8").split("\n").filter(Boolean);
    return { node, modules };
  }

  const otelModules = (modules: string[]) =>
    [...new Set(modules.filter((m) => m.includes("/node_modules/@opentelemetry/")))].map(
      (m) => m.split("/node_modules/")[1]?.split("/").slice(0, 2).join("/") ?? m,
    );

  it("without OTEL_EXPORTER_OTLP_ENDPOINT loads no OpenTelemetry SDK module, nor tracing.ts", async () => {
    const { modules } = await runNode("untraced", {});
    // The recorder saw the server's own modules (it works) …
    expect(modules.some((m) => m.includes("/node_modules/fastify/"))).toBe(true);
    expect(modules.some((m) => m.endsWith("/src/server/app.ts"))).toBe(true);
    // … and no tracing: the only OpenTelemetry package is the API that prom-client itself requires.
    expect(otelModules(modules).filter((m) => m !== "@opentelemetry/api")).toEqual([]);
    expect(modules.filter((m) => m.endsWith("/src/server/tracing.ts"))).toEqual([]);
    expect(receiver.bodies).toEqual([]);
  });

  it("with it, sends the node's spans to the endpoint, the last ones on SIGTERM", async () => {
    const { node, modules } = await runNode("traced", { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(otelModules(modules)).toContain("@opentelemetry/sdk-trace-base");
    expect(receiver.refused).toEqual([]);
    const spans = receiver.spans;
    const port = new URL(node.url).port;
    expect(new Set(spans.map((s) => s.resource["service.name"]))).toEqual(new Set(["helpgate"]));
    expect(new Set(spans.map((s) => s.resource["service.instance.id"]))).toEqual(
      new Set([`${os.hostname()}:${port}`]),
    );
    const [login] = withRoute(spans, "POST", "/api/v1/auth/login");
    expect(login?.attributes["http.response.status_code"]).toBe(200);
    if (!login) throw new Error("no sign-in span");
    expect(childrenOf(spans, login).some((s) => s.attributes["db.system"] === "sqlite")).toBe(true);
    expect(withRoute(spans, "GET", "/readyz")).toHaveLength(1);
    expect(receiver.bodies.join("\n")).not.toContain(PASSWORD);
  });
});

describe("tracing configuration", () => {
  it("is off unless an OTLP endpoint is set, and off with OTEL_SDK_DISABLED=true", () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "" }).tracing).toBeNull();
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).tracing,
    ).toBeNull();
  });

  it("sends to <endpoint>/v1/traces as service helpgate, or where and as what it is told", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      serviceName: "helpgate",
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com/otlp",
        OTEL_SERVICE_NAME: "helpgate-eu",
      }).tracing,
    ).toEqual({ tracesUrl: "https://otel.example.com/otlp/v1/traces", serviceName: "helpgate-eu" });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/custom/traces" }).tracing
        ?.tracesUrl,
    ).toBe("http://tempo:4318/custom/traces");
  });

  it("refuses to start on a bad endpoint, naming the variable and not echoing the value", () => {
    const bad = (env: Record<string, string>) => () => loadConfig(env);
    expect(bad({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318 " })).toThrow(ConfigError);
    expect(bad({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT must be/);
    expect(bad({ OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317" })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must start with http:\/\/ or https:\/\//,
    );
    expect(bad({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://user:pw@x/" })).toThrow(
      /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT .*"ftp:\/\/"$/,
    );
    expect(bad({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SERVICE_NAME: "a\nb" })).toThrow(
      /^OTEL_SERVICE_NAME/,
    );
  });
});
