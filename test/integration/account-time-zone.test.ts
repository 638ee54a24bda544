import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverTimeZone } from "../../src/server/domain/timeZones.js";
import type { Account, ApiError } from "../../src/shared/api.js";
import { call, login, seedAccount, startTestApp, type TestApp } from "../support/app.js";
import { dialects } from "../support/databases.js";

/** The account's time zone: reports count days and hours in it (issue 12). */
describe.each(dialects())("the account's time zone, on %s", (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(dialect);
  });
  afterAll(async () => {
    await app.close();
  });

  it("defaults to the server's zone, takes an IANA name in its canonical spelling, refuses others naming the field", async () => {
    const { account, admin } = await seedAccount(app, `tz-${dialect}`);
    const cookie = await login(app, admin.email);
    const url = `/api/v1/accounts/${account.id}`;
    expect(((await call(app, cookie, "GET", url)).body as Account).timeZone).toBe(serverTimeZone());
    const set = await call(app, cookie, "PATCH", url, { timeZone: "europe/berlin" });
    expect(set.status).toBe(200);
    expect((set.body as Account).timeZone).toBe("Europe/Berlin");
    expect(((await call(app, cookie, "GET", url)).body as Account).timeZone).toBe("Europe/Berlin");
    for (const bad of ["Mars/Olympus_Mons", "Europe/Berlin ; DROP", "+25:00"]) {
      const res = await call(app, cookie, "PATCH", url, { timeZone: bad });
      expect(res.status, bad).toBe(400);
      expect((res.body as ApiError).fields?.timeZone?.code).toBe("unknown_time_zone");
    }
    expect((await call(app, cookie, "PATCH", url, { timeZone: "" })).status).toBe(400);
    expect(((await call(app, cookie, "GET", url)).body as Account).timeZone).toBe("Europe/Berlin");
  });
});
