// Opens a catalogue in headless Chromium and times what a reader waits for: the page loading,
// and each filter from the change to the next painted frame (best and median of several).
//
//   node bench/catalogue-filter.mjs INDEX.html      (run from the repository; uses tests/browser)
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";

const require = createRequire(path.resolve("tests/browser/package.json"));
const { chromium } = require("playwright-core");
const url = pathToFileURL(path.resolve(process.argv[2])).href;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const t0 = Date.now();
await page.goto(url, { waitUntil: "load" });
const load_ms = Date.now() - t0;
const cards = await page.$$eval("li.card", (c) => c.length);
const providers = await page.$$eval("#f-provider option", (o) => o.map((x) => x.value).filter(Boolean));

// One filter change, from the event to the frame after it is painted.
const timed = (change) => page.evaluate((change) => new Promise((done) => {
  const t = performance.now();
  const q = document.getElementById("q"), p = document.getElementById("f-provider");
  const k = document.getElementById("f-kind"), pr = document.getElementById("f-print");
  if (change.q !== undefined) { q.value = change.q; q.dispatchEvent(new Event("input")); }
  if (change.p !== undefined) { p.value = change.p; p.dispatchEvent(new Event("change")); }
  if (change.k !== undefined) { k.value = change.k; k.dispatchEvent(new Event("change")); }
  if (change.pr !== undefined) { pr.checked = change.pr; pr.dispatchEvent(new Event("change")); }
  if (change.more) document.getElementById("more").click();
  requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t)));
}), change);

const steps = [
  ["provider", { p: providers[0] }], ["all providers", { p: "" }],
  ["kind", { k: "logo" }], ["all kinds", { k: "" }],
  ["printed copies", { pr: true }], ["all again", { pr: false }],
  ["search one word", { q: "kortext" }], ["search cleared", { q: "" }],
  ["show more", { more: true }],
];
const results = [];
for (const [name, change] of steps) {
  const times = [];
  for (let i = 0; i < 5; i++) times.push(await timed(change), await timed({ q: "", p: "", k: "", pr: false }));
  const mine = times.filter((_, i) => i % 2 === 0).sort((a, b) => a - b);
  results.push({ name, best_ms: +mine[0].toFixed(1), median_ms: +mine[2].toFixed(1) });
}
await browser.close();
console.log(JSON.stringify({ cards, load_ms, filters: results }, null, 1));
