// Drives headless Chromium against an unzipped pack's index.html over file:// and prints what
// it saw as one JSON document; tests/html_catalogue.rs judges it. Nothing here decides whether
// the page is right: it reports what a reader would meet.
//
//   node catalogue.mjs INDEX.html SHOTS_DIR QUERY
//
// CHROMIUM names the browser (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import path from "node:path";

const [page_path, shots, query] = process.argv.slice(2);
const url = pathToFileURL(path.resolve(page_path)).href;
const require = createRequire(import.meta.url);
const axe_source = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

const seen = { failed_requests: [], console_errors: [], page_errors: [] };

async function open(options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on("requestfailed", (r) => seen.failed_requests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("console", (m) => { if (m.type() === "error") seen.console_errors.push(m.text()); });
  page.on("pageerror", (e) => seen.page_errors.push(String(e)));
  await page.goto(url, { waitUntil: "load" });
  return { context, page };
}

const visible_ids = (page) =>
  page.$$eval("li.card", (cards) => cards.filter((c) => c.offsetParent !== null).map((c) => c.id));

const out = {};
{
  const { context, page } = await open({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);

  out.title = await page.title();
  out.cards = await page.$$eval("li.card", (cards) =>
    cards.map((c) => ({ id: c.id, provider: c.dataset.provider, kind: c.dataset.kind, print: c.hasAttribute("data-print") })));
  out.headings = await page.$$eval("h1, h2, h3", (hs) => hs.map((h) => h.tagName));

  // Every link that opens a file of the pack, and every image, resolved against the page.
  const hrefs = await page.$$eval("a.open", (as) => as.map((a) => a.href));
  out.links = hrefs.map((href) => ({ href, exists: href.startsWith("file:") && existsSync(fileURLToPath(href)) }));
  const images = await page.$$eval("img", (is) => is.map((i) => ({ src: i.src, alt: i.getAttribute("alt") })));
  out.images = [];
  for (const img of images) {
    const decoded = await page.evaluate(async (src) => {
      const probe = new Image();
      probe.src = src;
      try { await probe.decode(); return probe.naturalWidth > 0; } catch { return false; }
    }, img.src);
    out.images.push({ ...img, decoded });
  }

  out.filters_shown = await page.isVisible("#filters");
  // Filtering by each provider, then printed copies only, then a search.
  out.by_provider = {};
  for (const id of new Set(out.cards.map((c) => c.provider))) {
    await page.selectOption("#f-provider", id);
    out.by_provider[id] = await visible_ids(page);
  }
  await page.selectOption("#f-provider", "");
  await page.check("#f-print");
  out.print_only = await visible_ids(page);
  await page.uncheck("#f-print");
  const unfiltered = await page.textContent("#shown");
  // Typing is applied on the next frame: wait for the status to change, and back.
  await page.fill("#q", query);
  await page.waitForFunction((s) => document.querySelector("#shown").textContent !== s, unfiltered);
  out.search = { query, visible: await visible_ids(page), status: await page.textContent("#shown") };
  await page.fill("#q", "");
  await page.waitForFunction((s) => document.querySelector("#shown").textContent === s, unfiltered);

  // "Copy" on the first message: what lands on the clipboard.
  const copy = await page.$("button.copy");
  if (copy) {
    const message = await copy.getAttribute("data-copy");
    await copy.click();
    await page.waitForFunction((b) => b.textContent.startsWith("Copied"), copy);
    out.copied = { message, text: await page.evaluate(() => navigator.clipboard.readText()) };
  }

  // A page at a time: how many cards show, then after each "Show more".
  out.paging = { visible: (await visible_ids(page)).length, status: await page.textContent("#shown"), after_each_more: [] };
  while (await page.isVisible("#more")) {
    await page.click("#more");
    out.paging.after_each_more.push((await visible_ids(page)).length);
  }

  // The keyboard alone, on the page as it opens: the first Tab lands on the skip link, and
  // Tabs reach the search box.
  await page.goto(url, { waitUntil: "load" });
  await page.screenshot({ path: path.join(shots, "desktop.png") });
  await page.keyboard.press("Tab");
  out.first_tab = await page.evaluate(() => document.activeElement.className);
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement.id === "q");
  }
  out.keyboard_reaches_search = reached;

  // Evaluated through the DevTools protocol: the page's own policy lets no other script in.
  await page.evaluate(axe_source);
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      first: v.nodes[0]?.html }));
  });
  out.axe = axe;
  await context.close();
}
{
  const { context, page } = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.screenshot({ path: path.join(shots, "phone.png") });
  out.phone_overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  await context.close();
}
{
  const { context, page } = await open({ viewport: { width: 1280, height: 800 }, javaScriptEnabled: false });
  out.no_js = {
    visible: (await visible_ids(page)).length,
    filters_shown: await page.isVisible("#filters"),
    copy_buttons_shown: await page.$$eval("button.copy", (bs) => bs.filter((b) => b.offsetParent !== null).length),
  };
  await context.close();
}
await browser.close();
out.seen = seen;
console.log(JSON.stringify(out, null, 1));
