import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepOffers } from "../../src/server/sweeper.js";
import type {
  AgentReportRow,
  PortalReportRow,
  QueueReport,
  ReportSummary,
  VolumeRow,
} from "../../src/shared/api.js";
import type { AgentServerMessage, OfferView } from "../../src/shared/protocol.js";
import { call } from "../support/app.js";
import { dialects } from "../support/databases.js";
import {
  type Agent,
  accept,
  ask,
  connectCustomer,
  createPortal,
  decline,
  onlineAgent,
  seedAgent,
  seedTenant,
  setAvailable,
  startWorld,
  type Tenant,
  type World,
} from "../support/scenario.js";
import { api, expectOk, teamAlert, transfer } from "../support/teamwork.js";

/**
 * The kept figures of each day (report_days) against the figures computed afresh: after every kind
 * of change a report can see — a request submitted, accepted, declined, canceled, left offline, a
 * session ended, given an outcome, rated, transferred, a queue offer made, declined, timed out,
 * accepted — and after a time-zone change, the reports read from the kept figures are exactly
 * those computed from scratch (the kept rows deleted), and they show the change.
 */

interface Reports {
  summary: Omit<ReportSummary, "comments">;
  agents: Omit<AgentReportRow, "signedIn" | "available">[];
  portals: PortalReportRow[];
  days: VolumeRow[];
  hours: VolumeRow[];
  queue: QueueReport;
}

describe.each(dialects())("kept report figures on %s", (dialect) => {
  let world: World;
  const sockets: { close(): Promise<void> }[] = [];
  const keep = <S extends { close(): Promise<void> }>(s: S): S => {
    sockets.push(s);
    return s;
  };
  beforeAll(async () => {
    world = await startWorld(dialect);
  });
  afterAll(async () => {
    await Promise.allSettled(sockets.map((s) => s.close()));
    await world?.close();
  });

  async function reportsOf(tenant: Tenant, query: string): Promise<Reports> {
    const base = `/api/v1/accounts/${tenant.account.id}/reports`;
    const get = async <T>(name: string): Promise<T> => {
      const res = await call(world.app, tenant.adminCookie, "GET", `${base}/${name}?${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as T;
    };
    const { comments: _comments, ...summary } = await get<ReportSummary>("summary");
    const agents = (await get<{ rows: AgentReportRow[] }>("agents")).rows.map(
      ({ signedIn: _s, available: _a, ...rest }) => rest,
    );
    return {
      summary,
      agents,
      portals: (await get<{ rows: PortalReportRow[] }>("portals")).rows,
      days: (await get<{ rows: VolumeRow[] }>("days")).rows,
      hours: (await get<{ rows: VolumeRow[] }>("hours")).rows,
      queue: await get<QueueReport>("queue"),
    };
  }

  /** The reports as kept, checked against the same reports computed with nothing kept. */
  async function checked(tenant: Tenant, query = "period=last7"): Promise<Reports> {
    const kept = await reportsOf(tenant, query);
    const rows = await world.app.deps.db.kysely
      .selectFrom("report_days")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("account_id", "=", tenant.account.id)
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBeGreaterThan(0);
    await world.app.deps.db.kysely
      .deleteFrom("report_days")
      .where("account_id", "=", tenant.account.id)
      .execute();
    const fresh = await reportsOf(tenant, query);
    expect(kept).toEqual(fresh);
    return kept;
  }

  /** Both the whole account's figures and one agent's, each checked. */
  async function checkedBoth(tenant: Tenant, agent: Agent) {
    const all = await checked(tenant);
    const own = await checked(tenant, `period=last7&agentId=${agent.user.id}`);
    return { all, own };
  }

  it("web mode: every change shows at once, and equals the figures computed afresh", async () => {
    const tenant = await seedTenant(world, "rollweb");
    const ann = await seedAgent(world, tenant, "ann");
    const ben = await seedAgent(world, tenant, "ben");
    const button = await createPortal(world, tenant, "button", [ann, ben]);
    const pick = await createPortal(world, tenant, "pick-agent", [ann]);
    const annWs = keep(await onlineAgent(world, ann));
    const benWs = keep(await onlineAgent(world, ben));

    let r = await checkedBoth(tenant, ann);
    expect(r.all.summary.submitted).toBe(0);

    // Submitted, then accepted 20 s later.
    const first = await ask(world, button.slug, { name: "Carla", question: "Printer" });
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary).toMatchObject({ submitted: 1, waiting: 1, accepted: 0 });
    world.clock.advance(20_000);
    expect((await accept(world, ann, first.requestId)).status).toBe(200);
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary).toMatchObject({ submitted: 1, waiting: 0, accepted: 1 });
    // The test's clock moves on by hand; real time adds the moments the calls took.
    expect(r.all.summary.timeToAccept.median).toBeGreaterThanOrEqual(20);
    expect(r.all.summary.timeToAccept.median).toBeLessThan(25);
    expect(r.own.summary.accepted).toBe(1);

    // Ended after 5 minutes, an outcome, a rating.
    world.clock.advance(300_000);
    expect((await api(world, ann, "POST", `/sessions/${first.requestId}/end`)).status).toBe(204);
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary.sessionDuration.median).toBeGreaterThanOrEqual(300);
    expect(r.all.summary.sessionDuration.median).toBeLessThan(305);
    expect(r.all.summary.outcomes.notRecorded).toBe(1);
    expectOk(
      await api(world, ann, "POST", `/sessions/${first.requestId}/outcome`, { outcome: "resolved" }),
      200,
    );
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary.outcomes).toMatchObject({ resolved: 1, notRecorded: 0 });
    const survey = await call(
      world.app,
      first.cookie,
      "POST",
      `/api/v1/customer/requests/${first.requestId}/survey`,
      {
        rating: 5,
      },
    );
    expect(survey.status, JSON.stringify(survey.body)).toBe(204);
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary.rating).toMatchObject({ answered: 1, average: 5 });
    expect(r.all.agents.find((a) => a.agentId === ann.user.id)).toMatchObject({ sessions: 1, ratings: 1 });

    // A session transferred from ann to ben is ben's in the agents' report.
    const second = await ask(world, button.slug, { name: "Dirk", question: "Mouse" });
    const customer = keep(await connectCustomer(world, second.requestId, second.cookie));
    expect((await accept(world, ann, second.requestId)).status).toBe(200);
    await customer.next((m) => m.type === "status" && m.status.state === "accepted");
    r = await checkedBoth(tenant, ann);
    expect(r.all.agents.find((a) => a.agentId === ann.user.id)?.sessions).toBe(2);
    const t = await transfer(world, ann, second.requestId, { toAgentId: ben.user.id });
    await teamAlert(benWs, second.requestId, "transfer");
    expectOk(await api(world, ben, "POST", `/transfers/${t.id}/accept`));
    r = await checkedBoth(tenant, ann);
    expect(r.all.agents.find((a) => a.agentId === ann.user.id)?.sessions).toBe(1);
    expect(r.all.agents.find((a) => a.agentId === ben.user.id)?.sessions).toBe(1);
    expect((await api(world, ben, "POST", `/sessions/${second.requestId}/end`)).status).toBe(204);

    // Asked for ann by name and declined; a customer who gave up; an offline message.
    const named = await ask(world, pick.slug, { name: "Nina", question: "Only Ann" }, ann.user.id);
    expect((await decline(world, ann, named.requestId)).status).toBe(200);
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary.declined).toBe(1);
    expect(r.own.summary.declined).toBe(1);
    expect(r.all.agents.find((a) => a.agentId === ann.user.id)?.declines).toBe(1);
    const gone = await ask(world, button.slug);
    world.clock.advance(10_000);
    const cancel = await world.app.server.inject({
      method: "POST",
      url: `/api/v1/customer/requests/${gone.requestId}/cancel`,
      headers: { origin: world.origin, cookie: gone.cookie },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary.canceled).toMatchObject({ total: 1, under30s: 1 });
    await annWs.close();
    await benWs.close();
    await setAvailable(world, ann, false);
    await setAvailable(world, ben, false);
    const offline = await call(world.app, null, "POST", `/api/v1/portals/${button.slug}/offline`, {
      values: { name: "Otto", question: "Anyone?", email: "otto@example.com" },
    });
    expect(offline.status, JSON.stringify(offline.body)).toBe(201);
    r = await checkedBoth(tenant, ann);
    expect(r.all.summary.offline).toBe(1);
    expect(r.all.days.reduce((a, d) => a + d.offline, 0)).toBe(1);
    expect(r.all.hours.reduce((a, d) => a + d.accepted, 0)).toBe(2);

    // Another time zone: other days, other hours, computed and kept apart, equal to afresh.
    const zone = await call(world.app, tenant.adminCookie, "PATCH", `/api/v1/accounts/${tenant.account.id}`, {
      timeZone: "Pacific/Kiritimati",
    });
    expect(zone.status, JSON.stringify(zone.body)).toBe(200);
    const far = await checked(tenant);
    expect(far.summary.scope.timeZone).toBe("Pacific/Kiritimati");
    expect(far.summary).toMatchObject({ submitted: 4, accepted: 2, declined: 1, offline: 1 });
  });

  it("queue mode: offers made, declined, timed out and accepted show at once", async () => {
    const tenant = await seedTenant(world, "rollq", "queue");
    const patched = await call(
      world.app,
      tenant.adminCookie,
      "PATCH",
      `/api/v1/accounts/${tenant.account.id}`,
      {
        offerTimeoutSeconds: 5,
      },
    );
    expect(patched.status).toBe(200);
    const eva = await seedAgent(world, tenant, "eva");
    const fay = await seedAgent(world, tenant, "fay");
    const portal = await createPortal(world, tenant, "question", [eva, fay]);
    const agents = [eva, fay];
    const ws = [keep(await onlineAgent(world, eva)), keep(await onlineAgent(world, fay))];
    const isOfferFor = (requestId: string) => (m: AgentServerMessage) =>
      m.type === "offer" && m.offer.request.id === requestId;
    const offered = async (requestId: string, marks: number[]) =>
      Promise.any(
        ws.map((s, i) =>
          s.next(isOfferFor(requestId), 5000, marks[i] ?? 0).then((m) => {
            if (m.type !== "offer") throw new Error("not an offer");
            return { index: i, offer: m.offer as OfferView };
          }),
        ),
      );
    const post = (who: Agent, path: string) => call(world.app, who.cookie, "POST", `/api/v1${path}`);
    const marks = () => ws.map((s) => s.received.length);

    const c = await ask(world, portal.slug, { name: "Gus", question: "Queue" });
    const one = await offered(c.requestId, [0, 0]);
    let r = await checkedBoth(tenant, agents[one.index] as Agent);
    expect(r.all.queue).toMatchObject({ offersMade: 1, offersDeclined: 0 });
    expect(r.own.queue.offersMade).toBe(1);

    let m = marks();
    expect((await post(agents[one.index] as Agent, `/offers/${one.offer.id}/decline`)).status).toBe(204);
    const two = await offered(c.requestId, m);
    r = await checkedBoth(tenant, agents[one.index] as Agent);
    expect(r.all.queue).toMatchObject({ offersMade: 2, offersDeclined: 1 });
    expect(r.all.agents.find((a) => a.agentId === agents[one.index]?.user.id)?.declines).toBe(1);

    m = marks();
    world.clock.advance(6000);
    await sweepOffers(world.app.deps);
    const three = await offered(c.requestId, m);
    r = await checkedBoth(tenant, agents[two.index] as Agent);
    expect(r.all.queue).toMatchObject({ offersMade: 3, offersTimedOut: 1 });
    expect(r.all.agents.find((a) => a.agentId === agents[two.index]?.user.id)?.offersTimedOut).toBe(1);

    expect((await post(agents[three.index] as Agent, `/offers/${three.offer.id}/accept`)).status).toBe(200);
    r = await checkedBoth(tenant, agents[three.index] as Agent);
    expect(r.all.queue).toMatchObject({ offersMade: 3, offersAccepted: 1 });
    expect(r.all.summary.accepted).toBe(1);
    expect(r.all.queue.longestWait).toBeGreaterThanOrEqual(6);
  });
});
