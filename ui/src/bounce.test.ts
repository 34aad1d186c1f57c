// The https bounce page (web/oauth-bounce/index.html): what its script forwards, what it
// refuses, and that its Content-Security-Policy allows exactly that script. The script runs
// against the page's own DOM with a window whose location records where it was sent.
import { describe, expect, it } from "vitest";
import html from "../../web/oauth-bounce/index.html?raw";

const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;

function load(query: string) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  let replacedWith: string | null = null;
  const fakeWindow = {
    location: {
      search: query,
      replace: (url: string) => {
        replacedWith = url;
      },
    },
  };
  new Function("window", "document", script)(fakeWindow, doc);
  const open = doc.getElementById("open") as HTMLAnchorElement;
  return {
    href: open.hidden ? null : open.getAttribute("href"),
    replacedWith: replacedWith as string | null,
    status: doc.getElementById("status")!.textContent,
  };
}

describe("the bounce page", () => {
  it("forwards the whole query string, unchanged, to the app's deep link", () => {
    const q = "?code=abc%2B%2F%3D&state=s1&extra=%C3%A9";
    const page = load(q);
    expect(page.replacedWith).toBe(`carbonsync://oauth/callback${q}`);
    expect(page.href).toBe(`carbonsync://oauth/callback${q}`);
  });

  it("forwards an error answer too, so the app can say what went wrong", () => {
    const q = "?error=access_denied&state=s2";
    const page = load(q);
    expect(page.replacedWith).toBe(`carbonsync://oauth/callback${q}`);
    expect(page.status).toContain("did not complete");
  });

  it("forwards nothing without a state, or without a code or an error", () => {
    for (const q of ["", "?code=abc", "?state=s3"]) {
      const page = load(q);
      expect(page.replacedWith).toBeNull();
      expect(page.href).toBeNull();
      expect(page.status).toContain("Start the sign-in again");
    }
  });

  it("allows exactly its own script and sends no referrer", async () => {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(script));
    const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
    expect(html).toContain(`script-src 'sha256-${hash}'`);
    expect(html).toContain('name="referrer" content="no-referrer"');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
