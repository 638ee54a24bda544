import { describe, expect, it } from "vitest";
import { PortalPageCache } from "../../src/server/http/portalPageCache.js";

describe("the portal page cache", () => {
  const clock = { t: 1_000_000 };
  const now = () => clock.t;

  it("serves a page until its time is up", () => {
    const cache = new PortalPageCache(now, 1000);
    cache.set("help", "acc-a", "<p>a</p>", cache.begin());
    expect(cache.get("help")).toBe("<p>a</p>");
    clock.t += 999;
    expect(cache.get("help")).toBe("<p>a</p>");
    clock.t += 1;
    expect(cache.get("help")).toBeNull();
  });

  it("drops only the changed account's pages", () => {
    const cache = new PortalPageCache(now, 1000);
    cache.set("a1", "acc-a", "A1", cache.begin());
    cache.set("a2", "acc-a", "A2", cache.begin());
    cache.set("b1", "acc-b", "B1", cache.begin());
    cache.forgetAccount("acc-a");
    expect(cache.get("a1")).toBeNull();
    expect(cache.get("a2")).toBeNull();
    expect(cache.get("b1")).toBe("B1");
  });

  it("does not keep a page rendered from data read before a change", () => {
    const cache = new PortalPageCache(now, 1000);
    const token = cache.begin();
    // …the portal is loaded and rendered; meanwhile an agent goes away:
    cache.forgetAccount("acc-a");
    cache.set("help", "acc-a", "stale", token);
    expect(cache.get("help")).toBeNull();
    cache.set("help", "acc-a", "fresh", cache.begin());
    expect(cache.get("help")).toBe("fresh");
  });

  it("keeps nothing when its time is 0 (HELPGATE_PORTAL_PAGE_CACHE_MS=0)", () => {
    const cache = new PortalPageCache(now, 0);
    cache.set("help", "acc-a", "page", cache.begin());
    expect(cache.get("help")).toBeNull();
  });
});
