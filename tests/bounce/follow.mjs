// Plays a browser on CarbonSync's https bounce page: loads the page at the address given
// (the platform's redirect, with its query string), runs its script in a DOM (jsdom, from the
// window's own dev dependencies) and prints the address it forwards to, or the words it shows
// when it forwards nothing. Used by the Rust tests of Slack's sign-in.
//
//   node tests/bounce/follow.mjs 'http://127.0.0.1:PORT/bounce/?code=…&state=…'
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, "ui", "package.json"));
const { JSDOM, VirtualConsole } = require("jsdom");

const address = process.argv[2];
if (!address) {
  console.error("usage: follow.mjs <bounce page address with its query>");
  process.exit(2);
}
const answer = await fetch(address);
if (!answer.ok) {
  console.error(`the bounce page answered HTTP ${answer.status}`);
  process.exit(1);
}
const html = await answer.text();
const quiet = new VirtualConsole(); // jsdom cannot navigate to carbonsync://; the link shows where it went
const dom = new JSDOM(html, { url: address, runScripts: "dangerously", virtualConsole: quiet });
const open = dom.window.document.getElementById("open");
if (open && !open.hidden) {
  console.log(open.getAttribute("href"));
} else {
  console.log(`NO FORWARD: ${dom.window.document.getElementById("status").textContent}`);
}
