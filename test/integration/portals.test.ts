import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Portal, User } from "../../src/shared/api.js";
import { LIMITS, type Mode, PORTAL_TYPES, PORTAL_TYPES_BY_MODE } from "../../src/shared/model.js";
import {
  bodyOf,
  expectBodyErrors,
  expectError,
  expectTooLong,
  long,
  NO_SUCH_ID,
  portalOf,
  userOf,
} from "../support/api.js";
import {
  call,
  login,
  ORIGIN,
  type SeededAccount,
  seedAccount,
  seedUser,
  startTestApp,
  type TestApp,
} from "../support/app.js";
import { dialects } from "../support/databases.js";

describe.each(dialects())("portals API on %s", (dialect) => {
  let app: TestApp;
  let acme: SeededAccount;
  let other: SeededAccount;
  let admin: string;
  let manager: string;
  let agent: string;
  let otherAdmin: string;
  let agentUser: User;
  let secondAgent: User;
  let foreignUser: User;
  let portals: string;
  let slugCounter = 0;

  const slug = (prefix = "p") => `${prefix}-${++slugCounter}`;
  const create = async (input: Record<string, unknown>, cookie = admin, url = portals): Promise<Portal> => {
    const r = await call(app, cookie, "POST", url, input);
    if (r.status !== 201) throw new Error(`portal create failed: ${r.status} ${JSON.stringify(r.body)}`);
    return portalOf(r);
  };

  beforeAll(async () => {
    app = await startTestApp(dialect);
    acme = await seedAccount(app, "acme");
    other = await seedAccount(app, "other");
    await seedUser(app, acme.account.id, "manager@acme.test.example", "manager");
    agentUser = await seedUser(app, acme.account.id, "agent@acme.test.example", "agent");
    secondAgent = await seedUser(app, acme.account.id, "agent2@acme.test.example", "agent");
    foreignUser = await seedUser(app, other.account.id, "agent@other.test.example", "agent");
    admin = await login(app, acme.admin.email);
    manager = await login(app, "manager@acme.test.example");
    agent = await login(app, agentUser.email);
    otherAdmin = await login(app, other.admin.email);
    portals = `/api/v1/accounts/${acme.account.id}/portals`;
  });
  afterAll(async () => {
    await app.close();
  });

  describe("POST /accounts/:accountId/portals", () => {
    it("creates a portal with sensible defaults and its URL", async () => {
      const r = await call(app, admin, "POST", portals, {
        slug: "acme-help",
        type: "question",
        name: "  Help  ",
      });
      expect(r.status).toBe(201);
      const p = portalOf(r);
      expect(p).toMatchObject({
        accountId: acme.account.id,
        slug: "acme-help",
        url: `${ORIGIN}/p/acme-help`,
        type: "question",
        name: "Help",
        title: "Help",
        welcomeText: "",
        language: "en",
        primaryColor: "#1f6feb",
        logoUrl: null,
        connectionMode: "chat-first",
        enabled: true,
        agentIds: [],
      });
      expect(p.fields.map((f) => [f.kind, f.required])).toEqual([
        ["name", true],
        ["email", false],
      ]);
      const got = await call(app, agent, "GET", `${portals}/${p.id}`);
      expect(got.status).toBe(200);
      expect(portalOf(got)).toEqual(p);
    });

    it("creates a portal with every setting, custom fields and agents", async () => {
      const p = await create({
        slug: "acme-full",
        type: "pick-agent",
        name: "Full",
        title: "Talk to us",
        welcomeText: "Welcome!",
        language: "de",
        primaryColor: "#AA0011",
        logoUrl: "https://acme.example.com/logo.png",
        connectionMode: "direct",
        enabled: false,
        agentIds: [secondAgent.id, agentUser.id, agentUser.id],
        fields: [
          { kind: "name", required: true },
          { kind: "phone", label: "Phone number" },
          { kind: "text", label: "  Order number ", required: true },
          { kind: "select", label: "Product", options: [" Shoes ", "", "Hats"] },
        ],
      });
      expect(p).toMatchObject({
        title: "Talk to us",
        welcomeText: "Welcome!",
        language: "de",
        primaryColor: "#AA0011",
        logoUrl: "https://acme.example.com/logo.png",
        connectionMode: "direct",
        enabled: false,
      });
      expect(p.agentIds).toEqual([agentUser.id, secondAgent.id].sort());
      expect(p.fields).toEqual([
        { kind: "name", key: "name", label: "", required: true, options: [] },
        { kind: "phone", key: "phone", label: "Phone number", required: false, options: [] },
        { kind: "text", key: "custom1", label: "Order number", required: true, options: [] },
        { kind: "select", key: "custom2", label: "Product", required: false, options: ["Shoes", "Hats"] },
      ]);
      // The agents see the portal among their portals.
      const u = await call(app, admin, "GET", `/api/v1/accounts/${acme.account.id}/users/${agentUser.id}`);
      expect(userOf(u).portalIds).toContain(p.id);
    });

    const cases: [Mode, string][] = [
      ["web", "pick-agent, question, button"],
      ["phone", "code"],
      ["queue", "question"],
    ];
    it.each(cases)(
      "in %s mode allows exactly its types and names them when refusing",
      async (mode, allowedText) => {
        const seeded = await seedAccount(app, `mode-${mode}`, mode);
        const cookie = await login(app, seeded.admin.email);
        const url = `/api/v1/accounts/${seeded.account.id}/portals`;
        for (const type of PORTAL_TYPES) {
          const r = await call(app, cookie, "POST", url, { slug: slug(mode), type, name: type });
          if (PORTAL_TYPES_BY_MODE[mode].includes(type)) {
            expect(r.status).toBe(201);
            expect(portalOf(r).type).toBe(type);
          } else {
            const body = expectError(r, 409, "type_not_allowed", "type", "type_not_allowed");
            expect(body.message).toBe(
              `A ${mode}-mode account cannot have a ${type} portal; it allows: ${allowedText}.`,
            );
            expect(body.fields?.type?.params).toEqual({ mode, allowed: allowedText });
          }
        }
        const list = bodyOf<Portal[]>(await call(app, cookie, "GET", url));
        expect(list.map((p) => p.type).sort()).toEqual([...PORTAL_TYPES_BY_MODE[mode]].sort());
      },
    );

    it("refuses a slug that is taken, in this or another account, with 409 naming slug", async () => {
      await create({ slug: "taken-slug", type: "button", name: "First" });
      const dup = await call(app, admin, "POST", portals, {
        slug: "taken-slug",
        type: "question",
        name: "Second",
      });
      const body = expectError(dup, 409, "duplicate", "slug", "duplicate");
      expect(body.message).toContain("/p/taken-slug");
      const cross = await call(app, otherAdmin, "POST", `/api/v1/accounts/${other.account.id}/portals`, {
        slug: "taken-slug",
        type: "question",
        name: "Other",
      });
      expectError(cross, 409, "duplicate", "slug", "duplicate");
    });

    it("refuses agents of another account with 400, exactly like unknown ids, and creates nothing", async () => {
      const foreign = await call(app, admin, "POST", portals, {
        slug: "foreign-agents",
        type: "question",
        name: "F",
        agentIds: [agentUser.id, foreignUser.id],
      });
      const body = expectError(foreign, 400, "unknown_agent", "agentIds", "unknown_agent");
      expect(body.message).not.toContain(foreignUser.id);
      const unknown = await call(app, admin, "POST", portals, {
        slug: "foreign-agents",
        type: "question",
        name: "F",
        agentIds: [NO_SUCH_ID],
      });
      expect(unknown.body).toEqual(foreign.body);
      const list = bodyOf<Portal[]>(await call(app, admin, "GET", portals));
      expect(list.some((p) => p.slug === "foreign-agents")).toBe(false);
      // The foreign user was not touched either.
      const theirs = await call(
        app,
        otherAdmin,
        "GET",
        `/api/v1/accounts/${other.account.id}/users/${foreignUser.id}`,
      );
      expect(userOf(theirs).portalIds).toEqual([]);
    });

    it("managers and agents may not create portals (403); no cookie 401; other or unknown account 404", async () => {
      const input = { slug: "not-allowed", type: "question", name: "N" };
      expectError(await call(app, manager, "POST", portals, input), 403, "forbidden");
      expectError(await call(app, agent, "POST", portals, input), 403, "forbidden");
      expectError(await call(app, null, "POST", portals, input), 401, "signed_out");
      expectError(
        await call(app, admin, "POST", `/api/v1/accounts/${other.account.id}/portals`, input),
        404,
        "not_found",
      );
      expectError(
        await call(app, admin, "POST", `/api/v1/accounts/${NO_SUCH_ID}/portals`, input),
        404,
        "not_found",
      );
      const list = bodyOf<Portal[]>(await call(app, admin, "GET", portals));
      expect(list.some((p) => p.slug === "not-allowed")).toBe(false);
    });

    it("validates every field", async () => {
      const base = { slug: "valid-slug", type: "question", name: "Valid" };
      const post = (body: unknown) => call(app, admin, "POST", portals, body);
      const { slug: _s, ...noSlug } = base;
      const { type: _t, ...noType } = base;
      const { name: _n, ...noName } = base;
      expectError(await post(noSlug), 400, "validation", "slug", "required");
      expectError(await post(noType), 400, "validation", "type", "required");
      expectError(await post(noName), 400, "validation", "name", "required");
      expectError(await post({ ...base, name: "" }), 400, "validation", "name", "required");
      for (const bad of ["Bad Slug", "UPPER", "-leading", "trailing-", "under_score", "dots.here"]) {
        const r = expectError(await post({ ...base, slug: bad }), 400, "validation", "slug", "invalid");
        expect(r.fields?.slug?.message).toContain("lowercase letters, digits and dashes");
      }
      const short = expectError(await post({ ...base, slug: "ab" }), 400, "validation", "slug", "too_short");
      expect(short.fields?.slug?.params).toEqual({ limit: LIMITS.slugMin });
      expectTooLong(await post({ ...base, slug: long(LIMITS.slugMax + 1, "a") }), "slug", LIMITS.slugMax);
      expectTooLong(await post({ ...base, name: long(LIMITS.portalName + 1) }), "name", LIMITS.portalName);
      expectTooLong(
        await post({ ...base, title: long(LIMITS.portalTitle + 1) }),
        "title",
        LIMITS.portalTitle,
      );
      expectTooLong(
        await post({ ...base, welcomeText: long(LIMITS.welcomeText + 1) }),
        "welcomeText",
        LIMITS.welcomeText,
      );
      const type = expectError(
        await post({ ...base, type: "kiosk" }),
        400,
        "validation",
        "type",
        "not_allowed",
      );
      expect(type.fields?.type?.message).toBe("must be one of: pick-agent, question, button, code");
      expectError(await post({ ...base, language: "fr" }), 400, "validation", "language", "not_allowed");
      expectError(
        await post({ ...base, connectionMode: "later" }),
        400,
        "validation",
        "connectionMode",
        "not_allowed",
      );
      for (const colour of ["red", "#fff", "#12345g", "1f6feb"]) {
        const r = expectError(
          await post({ ...base, primaryColor: colour }),
          400,
          "validation",
          "primaryColor",
          "invalid",
        );
        expect(r.fields?.primaryColor?.message).toBe("must be a colour like #1f6feb");
      }
      expectError(
        await post({ ...base, logoUrl: "javascript:alert(1)" }),
        400,
        "validation",
        "logoUrl",
        "invalid",
      );
      expectError(await post({ ...base, enabled: "true" }), 400, "validation", "enabled", "wrong_type");
      expectError(await post({ ...base, agentIds: [""] }), 400, "validation", "agentIds.0", "required");
      expectError(
        await post({ ...base, accountId: other.account.id }),
        400,
        "validation",
        "accountId",
        "unknown_field",
      );
      await expectBodyErrors(app, admin, "POST", portals);
      const list = bodyOf<Portal[]>(await call(app, admin, "GET", portals));
      expect(list.some((p) => p.slug === "valid-slug")).toBe(false);
    });

    it("validates the contact fields", async () => {
      const base = { slug: "fields-slug", type: "question", name: "Fields" };
      const post = (fields: unknown) => call(app, admin, "POST", portals, { ...base, fields });
      const tooMany = expectError(
        await post(Array.from({ length: 16 }, () => ({ kind: "text", label: "x" }))),
        400,
        "validation",
        "fields",
        "too_many",
      );
      expect(tooMany.fields?.fields?.params).toEqual({ limit: 5 + LIMITS.customFields });
      const custom = expectError(
        await post(Array.from({ length: 11 }, (_, i) => ({ kind: "text", label: `Field ${i}` }))),
        400,
        "too_many_custom_fields",
        "fields",
        "too_many_custom_fields",
      );
      expect(custom.message).toBe(`At most ${LIMITS.customFields} custom fields.`);
      expect(
        (await post(Array.from({ length: 10 }, (_, i) => ({ kind: "text", label: `F${i}` })))).status,
      ).toBe(201);
      const base2 = { ...base, slug: "fields-slug-2" };
      const post2 = (fields: unknown) => call(app, admin, "POST", portals, { ...base2, fields });
      expectError(await post2([{ kind: "zip" }]), 400, "validation", "fields.0.kind", "not_allowed");
      expectError(await post2([{ label: "x" }]), 400, "validation", "fields.0.kind", "required");
      expectError(
        await post2([{ kind: "name", colour: "red" }]),
        400,
        "validation",
        "fields.0.colour",
        "unknown_field",
      );
      expectTooLong(
        await post2([{ kind: "text", label: long(LIMITS.fieldLabel + 1) }]),
        "fields.0.label",
        LIMITS.fieldLabel,
      );
      expectTooLong(
        await post2([{ kind: "select", label: "S", options: [long(LIMITS.selectOption + 1)] }]),
        "fields.0.options.0",
        LIMITS.selectOption,
      );
      expectError(
        await post2([{ kind: "select", label: "S", options: Array.from({ length: 51 }, (_, i) => `o${i}`) }]),
        400,
        "validation",
        "fields.0.options",
        "too_many",
      );
      expectError(
        await post2([{ kind: "name" }, { kind: "name" }]),
        400,
        "duplicate_field",
        "fields.1",
        "duplicate_field",
      );
      expectError(
        await post2([{ kind: "text", label: "  " }]),
        400,
        "required",
        "fields.0.label",
        "required",
      );
      expectError(
        await post2([{ kind: "email" }, { kind: "select", label: "Pick", options: ["", " "] }]),
        400,
        "options_required",
        "fields.1.options",
        "options_required",
      );
      expectError(
        await post2([{ kind: "text", label: "T", required: "yes" }]),
        400,
        "validation",
        "fields.0.required",
        "wrong_type",
      );
    });
  });

  describe("GET /accounts/:accountId/portals(/:portalId)", () => {
    it("every role of the account lists and reads portals; no cookie 401", async () => {
      const p = await create({ slug: slug("read"), type: "button", name: "Read me" });
      for (const cookie of [admin, manager, agent]) {
        const list = await call(app, cookie, "GET", portals);
        expect(list.status).toBe(200);
        expect(bodyOf<Portal[]>(list).map((x) => x.id)).toContain(p.id);
        expect(bodyOf<Portal[]>(list).every((x) => x.accountId === acme.account.id)).toBe(true);
        const one = await call(app, cookie, "GET", `${portals}/${p.id}`);
        expect(one.status).toBe(200);
        expect(portalOf(one)).toEqual(p);
      }
      expectError(await call(app, null, "GET", portals), 401, "signed_out");
      expectError(await call(app, null, "GET", `${portals}/${p.id}`), 401, "signed_out");
    });

    it("unknown portals and other accounts answer 404", async () => {
      const unknown = expectError(
        await call(app, admin, "GET", `${portals}/${NO_SUCH_ID}`),
        404,
        "not_found",
      );
      expect(unknown.message).toBe("Portal not found.");
      expectError(
        await call(app, admin, "GET", `/api/v1/accounts/${other.account.id}/portals`),
        404,
        "not_found",
      );
      expectError(await call(app, admin, "GET", `/api/v1/accounts/${NO_SUCH_ID}/portals`), 404, "not_found");
    });
  });

  describe("PATCH /accounts/:accountId/portals/:portalId", () => {
    it("changes every setting, and an emptied title falls back to the name", async () => {
      const p = await create({ slug: slug("edit"), type: "question", name: "Before" });
      const url = `${portals}/${p.id}`;
      const r = await call(app, admin, "PATCH", url, {
        slug: "edited-slug",
        type: "button",
        name: " After ",
        title: "New title",
        welcomeText: "Hello",
        language: "de",
        primaryColor: "#000000",
        logoUrl: "/logo.png",
        connectionMode: "direct",
        enabled: false,
        agentIds: [agentUser.id],
        fields: [{ kind: "company", required: true }],
      });
      expect(r.status).toBe(200);
      const edited = portalOf(r);
      expect(edited).toMatchObject({
        id: p.id,
        slug: "edited-slug",
        url: `${ORIGIN}/p/edited-slug`,
        type: "button",
        name: "After",
        title: "New title",
        welcomeText: "Hello",
        language: "de",
        primaryColor: "#000000",
        logoUrl: "/logo.png",
        connectionMode: "direct",
        enabled: false,
        agentIds: [agentUser.id],
        fields: [{ kind: "company", key: "company", label: "", required: true, options: [] }],
        createdAt: p.createdAt,
      });
      expect(edited.updatedAt).toBeGreaterThanOrEqual(p.updatedAt);
      expect(portalOf(await call(app, admin, "GET", url))).toEqual(edited);
      const untitled = await call(app, admin, "PATCH", url, { title: "" });
      expect(portalOf(untitled).title).toBe("After");
      const cleared = await call(app, admin, "PATCH", url, { agentIds: [], logoUrl: null });
      expect(portalOf(cleared)).toMatchObject({ agentIds: [], logoUrl: null });
      const noop = await call(app, admin, "PATCH", url, {});
      expect(noop.status).toBe(200);
      expect({ ...portalOf(noop), updatedAt: 0 }).toEqual({ ...portalOf(cleared), updatedAt: 0 });
    });

    it("refuses a type the mode forbids with 409 naming the allowed types, and changes nothing", async () => {
      const p = await create({ slug: slug("type"), type: "question", name: "Typed" });
      const r = await call(app, admin, "PATCH", `${portals}/${p.id}`, { type: "code", name: "Renamed" });
      const body = expectError(r, 409, "type_not_allowed", "type", "type_not_allowed");
      expect(body.message).toContain("it allows: pick-agent, question, button");
      expect(portalOf(await call(app, admin, "GET", `${portals}/${p.id}`))).toMatchObject({
        type: "question",
        name: "Typed",
      });
    });

    it("refuses a slug another portal has with 409 naming slug; its own slug is fine", async () => {
      const a = await create({ slug: slug("own"), type: "question", name: "A" });
      const b = await create({ slug: slug("own"), type: "question", name: "B" });
      expectError(
        await call(app, admin, "PATCH", `${portals}/${b.id}`, { slug: a.slug }),
        409,
        "duplicate",
        "slug",
      );
      expect((await call(app, admin, "PATCH", `${portals}/${b.id}`, { slug: b.slug })).status).toBe(200);
      expect(portalOf(await call(app, admin, "GET", `${portals}/${b.id}`)).slug).toBe(b.slug);
    });

    it("refuses agents of another account with 400 like unknown ids, and changes nothing", async () => {
      const p = await create({
        slug: slug("agents"),
        type: "question",
        name: "Agents",
        agentIds: [agentUser.id],
      });
      const url = `${portals}/${p.id}`;
      const foreign = await call(app, admin, "PATCH", url, { name: "Changed", agentIds: [foreignUser.id] });
      expectError(foreign, 400, "unknown_agent", "agentIds", "unknown_agent");
      const unknown = await call(app, admin, "PATCH", url, { name: "Changed", agentIds: [NO_SUCH_ID] });
      expect(unknown.body).toEqual(foreign.body);
      expect(portalOf(await call(app, admin, "GET", url))).toMatchObject({
        name: "Agents",
        agentIds: [agentUser.id],
      });
    });

    it("managers and agents may not change portals (403); unknown 404; no cookie 401", async () => {
      const p = await create({ slug: slug("perm"), type: "question", name: "Perm" });
      const url = `${portals}/${p.id}`;
      expectError(await call(app, manager, "PATCH", url, { enabled: false }), 403, "forbidden");
      expectError(await call(app, agent, "PATCH", url, { enabled: false }), 403, "forbidden");
      expectError(await call(app, null, "PATCH", url, { enabled: false }), 401, "signed_out");
      expectError(
        await call(app, admin, "PATCH", `${portals}/${NO_SUCH_ID}`, { enabled: false }),
        404,
        "not_found",
      );
      expect(portalOf(await call(app, admin, "GET", url)).enabled).toBe(true);
    });

    it("validates every field", async () => {
      const p = await create({ slug: slug("val"), type: "question", name: "Val" });
      const url = `${portals}/${p.id}`;
      const patch = (body: unknown) => call(app, admin, "PATCH", url, body);
      expectError(await patch({ slug: "Not OK" }), 400, "validation", "slug", "invalid");
      expectError(await patch({ name: "" }), 400, "validation", "name", "required");
      expectTooLong(await patch({ name: long(LIMITS.portalName + 1) }), "name", LIMITS.portalName);
      expectTooLong(await patch({ title: long(LIMITS.portalTitle + 1) }), "title", LIMITS.portalTitle);
      expectTooLong(
        await patch({ welcomeText: long(LIMITS.welcomeText + 1) }),
        "welcomeText",
        LIMITS.welcomeText,
      );
      expectError(await patch({ type: "kiosk" }), 400, "validation", "type", "not_allowed");
      expectError(await patch({ primaryColor: "blue" }), 400, "validation", "primaryColor", "invalid");
      expectError(await patch({ language: "xx" }), 400, "validation", "language", "not_allowed");
      expectError(await patch({ fields: [{ kind: "text" }] }), 400, "required", "fields.0.label", "required");
      expectError(await patch({ id: NO_SUCH_ID }), 400, "validation", "id", "unknown_field");
      await expectBodyErrors(app, admin, "PATCH", url);
      expect(portalOf(await call(app, admin, "GET", url))).toEqual(p);
    });
  });

  describe("operators", () => {
    it("an operator creates and changes portals in any account", async () => {
      await seedUser(app, null, "op@helpgate.test.example", "operator");
      const op = await login(app, "op@helpgate.test.example");
      const url = `/api/v1/accounts/${other.account.id}/portals`;
      const p = await create(
        { slug: "by-operator", type: "button", name: "Op", agentIds: [foreignUser.id] },
        op,
        url,
      );
      expect(p).toMatchObject({ accountId: other.account.id, agentIds: [foreignUser.id] });
      const r = await call(app, op, "PATCH", `${url}/${p.id}`, { name: "Op renamed" });
      expect(portalOf(r).name).toBe("Op renamed");
      const theirs = await call(app, otherAdmin, "GET", `${url}/${p.id}`);
      expect(portalOf(theirs).name).toBe("Op renamed");
      // The account's mode rule holds for operators too.
      const refused = await call(app, op, "POST", url, { slug: "op-code", type: "code", name: "Code" });
      expectError(refused, 409, "type_not_allowed", "type");
    });
  });
});
