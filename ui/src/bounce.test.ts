// The https bounce page (web/oauth-bounce/index.html): what it forwards, what it refuses, and
// that its Content-Security-Policy allows exactly its own script.
import { describe, expect, it } from "vitest";
import { JSDOM, VirtualConsole } from "jsdom";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";

const html = readFileSync(path.resolve(__dirname, "../../web/oauth-bounce/index.html"), "utf8");

function load(query: string) {
  const dom = new JSDOM(html, {
    url: `https://carbonsync.example.org/oauth/${query}`,
    runScripts: "dangerously",
    virtualConsole: new VirtualConsole(),
  });
  const doc = dom.window.document;
  const open = doc.getElementById("open") as HTMLAnchorElement;
  return { href: open.hidden ? null : open.getAttribute("href"), status: doc.getElementById("status")!.textContent };
}

describe("the bounce page", () => {
  it("forwards the whole query string, unchanged, to the app's deep link", () => {
    const q = "?code=abc%2B%2F%3D&state=s1&extra=%C3%A9";
    expect(load(q).href).toBe(`carbonsync://oauth/callback${q}`);
  });

  it("forwards an error answer too, so the app can say what went wrong", () => {
    const q = "?error=access_denied&state=s2";
    const page = load(q);
    expect(page.href).toBe(`carbonsync://oauth/callback${q}`);
    expect(page.status).toContain("did not complete");
  });

  it("forwards nothing without a state, or without a code or an error", () => {
    expect(load("").href).toBeNull();
    expect(load("?code=abc").href).toBeNull();
    expect(load("?state=s3").href).toBeNull();
    expect(load("?state=s3").status).toContain("Start the sign-in again");
  });

  it("allows exactly its own script and sends no referrer", () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    const hash = createHash("sha256").update(script).digest("base64");
    expect(html).toContain(`script-src 'sha256-${hash}'`);
    expect(html).toContain('name="referrer" content="no-referrer"');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
