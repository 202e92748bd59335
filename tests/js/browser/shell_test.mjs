// End-to-end: the resident web app in Debian's Chromium (headless, driven by playwright-core)
// against a real `machi serve` with the demo manifest on a loopback port. A 360 px phone screen:
// sign up through the form, reorder and hide mini-apps with the buttons and see both survive a
// reload, switch the language, sign out; an axe-core WCAG 2 AA scan of each screen finds no
// serious or critical violation; the home screen is saved as a screenshot artefact. Then, with
// the notes fixture mounted, a mini-app screen probes its sandbox: it can neither read the
// session nor call /api/v1/me, and reaches its own backend (as the resident) only through the
// shell's bridge, which refuses paths outside the mini-app.
// Usage: node shell_test.mjs MACHI_BINARY PLUGIN_DIR MANIFEST ARTIFACT_DIR FIXTURE_DIR
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { chromium } from "playwright-core";
import { SignJWT, exportJWK, generateKeyPair } from "jose";

const [machi, pluginDir, manifest, artifacts, fixtureDir] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
let failures = 0;
const check = (ok, what) => {
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
};

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

// axe-core in the page and in every frame in it (a mini-app's screen is a sandboxed frame of
// another origin: axe is evaluated in it directly, as the page's own script cannot reach it).
async function axe(page, screen) {
  const run = `${axeSource}
    axe.run(document, { iframes: false, runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) })))`;
  const bad = [];
  for (const frame of page.frames()) {
    const where = frame === page.mainFrame() ? "shell" : new URL(frame.url()).pathname;
    const result = await frame.evaluate(run);
    for (const v of result) {
      if (v.impact === "serious" || v.impact === "critical") bad.push({ where, ...v });
    }
  }
  check(bad.length === 0, `axe on ${screen} (${page.frames().length} document(s)): no serious or critical violation ${JSON.stringify(bad)}`);
}

// Every language file has the same keys (a missing string would show its key).
function checkLanguages() {
  const keys = (lang) => Object.keys(JSON.parse(readFileSync(new URL(`../../../runtime/web/i18n/${lang}.json`, import.meta.url)))).sort().join(",");
  const ja = keys("ja");
  check(keys("en") === ja && keys("ja-easy") === ja, "ja, ja-easy and en have the same strings");
}

const names = (page) => page.$$eval("#apps li a", (links) => links.map((a) => a.textContent));

const dir = mkdtempSync(join(tmpdir(), "machi-browser-"));
const servers = [];
let log = "";

async function startServer(name, manifestFile, plugins) {
  const port = await freePort();
  const server = spawn(machi, ["serve", "--manifest", manifestFile, "--plugin-dir", plugins,
                               "--data", join(dir, name), "--listen", `127.0.0.1:${port}`],
                       { stdio: ["ignore", "ignore", "pipe"] });
  server.stderr.on("data", (chunk) => { log += chunk; });
  servers.push(server);
  const base = `http://localhost:${port}`;
  await waitFor(`${base}/healthz`, 20000);
  return base;
}

async function signUp(page, base) {
  await page.goto(`${base}/`);
  await page.waitForSelector("#sign-in:not([hidden])");
  await page.fill("#new-name", "花子");
  await page.fill("#new-login", "hanako@example.jp");
  await page.fill("#new-password", "correct horse battery");
  await page.click("#sign-up-form button[type=submit]");
  await page.waitForSelector("#home:not([hidden])");
}

// The demo manifest, plus an eKYC verifier whose key this test holds (as the verifier service
// would), written beside the test's data with the demo's data directories made absolute.
const verifier = { issuer: "https://ekyc.browser-test.example", kid: "browser-test-1" };
async function demoWithVerifier() {
  const demo = JSON.parse(readFileSync(manifest, "utf8"));
  for (const app of demo.mini_apps) {
    if (app.data_dir) app.data_dir = resolve(dirname(manifest), app.data_dir);
  }
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  verifier.privateKey = privateKey;
  const jwk = await exportJWK(publicKey);
  demo.verifiers = [{ issuer: verifier.issuer, keys: [{ kty: "EC", crv: "P-256", kid: verifier.kid, x: jwk.x, y: jwk.y }] }];
  verifier.audience = demo.public_url;
  demo.broadcasts = { minimum_audience: 1 };  // one resident here: the default minimum is 10
  const file = join(dir, "demo.json");
  writeFileSync(file, JSON.stringify(demo));
  return file;
}

function assertion(nonce) {
  return new SignJWT({ nonce, verified: { legal_name: "佐賀 花子", birthdate: "1990-04-01",
                                          address: { district: "honjo", line: "佐賀市本庄町1-1" } } })
    .setProtectedHeader({ alg: "ES256", typ: "machi-ekyc+jwt", kid: verifier.kid })
    .setIssuer(verifier.issuer).setAudience(verifier.audience).setIssuedAt().setExpirationTime("5m")
    .sign(verifier.privateKey);
}

// A call from the shell's page with its cookie session and CSRF token.
function asResident(page, method, path, body) {
  return page.evaluate(async ([method, path, body]) => {
    const { csrf_token } = await (await fetch("/api/v1/auth/session")).json();
    const r = await fetch(path, { method, headers: { "X-CSRF-Token": csrf_token, "Content-Type": "application/json" },
                                  body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.text() };
  }, [method, path, body]);
}

async function homeScreen(browser) {
  const demoFile = await demoWithVerifier();
  const base = await startServer("demo", demoFile, pluginDir);
  const shell = await fetch(`${base}/`);
  check(shell.headers.get("content-security-policy")?.includes("script-src 'self'"), "the shell is served with its CSP");

  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "ja-JP" });
  const page = await context.newPage();
  page.on("pageerror", (e) => check(false, `no script error: ${e.message}`));
  await page.goto(`${base}/`);
  await page.waitForSelector("#sign-in:not([hidden])");
  check((await page.textContent("#city")).includes("デモ市"), "the city's name from the manifest");
  await axe(page, "sign-in");

  // The visitor side (B面), without an account.
  await page.click("a[href='#/visit']");
  await page.waitForSelector("#visit-apps li a");
  const visitorApps = await page.$$eval("#visit-apps li a", (a) => a.map((x) => x.textContent));
  check(visitorApps.includes("ようこそ") && !visitorApps.includes("図書館"),
        `visitors see the mini-apps for visitors only (${visitorApps.join(", ")})`);
  await axe(page, "the visitor home");
  await page.click("#visit-apps li a >> text=ようこそ");
  await page.waitForSelector("#mini-app:not([hidden]) iframe[src='/apps/welcome/ui/']");
  check((await page.getAttribute("#back", "href")) === "#/visit", "a visitor's way back leads to the visitor home");

  await signUp(page, base);
  check((await page.textContent("#greeting")).includes("花子"), "signed up and greeted by name");
  await page.waitForSelector("#cards li a");
  check((await page.$$eval("#cards li a", (a) => a.map((x) => x.textContent))).some((x) => x.includes("ごみカレンダー")),
        "the garbage calendar's information card is on the home screen");
  const before = await names(page);
  check(before.length >= 3, `the demo's mini-apps are listed (${before.length})`);
  check(await page.isHidden("#badge"), "no unread notification: no badge");

  await page.click("#apps li:first-child button[data-action=down]");
  await page.waitForFunction((first) => document.querySelector("#apps li:nth-child(2) a")?.textContent === first, before[0]);
  check(await page.evaluate(() => document.activeElement?.dataset.action === "down"), "focus stays on the moved item's button");
  await page.click("#apps li:last-child button[data-action=toggle]");
  await page.waitForSelector("#apps li:last-child.hidden-app");
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, "home-360.png"), fullPage: true });
  await axe(page, "home");

  // Drag and drop too: the third mini-app dropped on the first takes its place.
  const third = (await names(page))[2];
  await page.dragAndDrop("#apps li:nth-child(3)", "#apps li:nth-child(1)");
  await page.waitForFunction((name) => document.querySelector("#apps li:first-child a")?.textContent === name, third);
  check(true, `dragging reorders (${(await names(page)).slice(0, 3).join(", ")})`);
  await page.dragAndDrop("#apps li:nth-child(1)", "#apps li:nth-child(3)");
  await page.waitForFunction((name) => document.querySelector("#apps li:nth-child(3) a")?.textContent === name, third);

  await page.reload();
  await page.waitForSelector("#home:not([hidden])");
  const after = await names(page);
  check(after[0] === before[1] && after[1] === before[0], `the new order survives a reload (${after.join(", ")})`);
  check(await page.$("#apps li:last-child.hidden-app") !== null, "the hidden mini-app stays hidden after a reload");

  // Installable, and the last home screen shows offline.
  const manifestLink = await page.getAttribute("link[rel=manifest]", "href");
  const webManifest = await (await fetch(`${base}${manifestLink}`)).json();
  check(webManifest.start_url === "/" && webManifest.display === "standalone" && webManifest.icons.length > 0, "a web app manifest to install from");
  check(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => !!r.active)), "the service worker is active");
  await page.reload();
  await page.waitForSelector("#home:not([hidden])");
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector("#home:not([hidden])");
  const offline = await names(page);
  check(offline.join() === after.join(), `offline, the last home screen shows (${offline.length} mini-apps)`);
  check((await page.textContent("#status")).length > 0, "and says it is offline");
  await context.setOffline(false);
  await page.reload();
  await page.waitForSelector("#home:not([hidden])");

  await page.selectOption("#language", "en");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  check((await page.textContent("#home-title")) === "Home", "switched to English");
  await page.selectOption("#language", "ja-easy");
  await page.waitForFunction(() => document.querySelector("#sign-out").textContent.includes("でる"));
  check(true, "switched to easy Japanese");
  await axe(page, "home in easy Japanese");

  // The citizen card: only after verification (the eKYC assertion this test signs).
  await page.click("nav a[href='#/card']");
  await page.waitForSelector("#card-unverified:not([hidden])");
  check(true, "the citizen card waits for verification");
  const nonce = await asResident(page, "POST", "/api/v1/me/verification/nonce", {});
  check(nonce.status === 200, `a verification nonce (${nonce.status})`);
  const verified = await asResident(page, "POST", "/api/v1/me/verification",
                                    { assertion: await assertion(JSON.parse(nonce.body).nonce) });
  check(verified.status === 200, `verified by the eKYC assertion (${verified.status} ${verified.body.slice(0, 120)})`);
  await page.reload();
  await page.waitForSelector("#card-verified:not([hidden])");
  await page.click("#card-refresh");
  await page.waitForSelector("#card-qr:not([hidden])");
  check((await page.getAttribute("#card-qr", "src")).startsWith("data:image/svg+xml"), "the card's QR code shows");
  check(/\d/.test(await page.textContent("#card-expiry")), "with the seconds it stays valid");
  await axe(page, "the citizen card");
  await page.screenshot({ path: join(artifacts, "card-360.png"), fullPage: true });

  // Consent on first use: the garbage calendar asks for the district.
  await page.click("nav a[href='#/']");
  await page.click("#apps li[data-id=garbage] a");
  await page.waitForSelector("#consent:not([hidden]) input[name=district]");
  await axe(page, "the consent request");
  await page.check("#consent input[name=district]");
  await page.click("#consent button[type=submit]");
  await page.waitForSelector("#mini-app:not([hidden]) iframe");
  check(true, "accepting opens the mini-app");
  // The garbage calendar's own screen, through the bridge: next collections, the month, the guide.
  const garbage = await frameOf(page, "/apps/garbage/ui/");
  await garbage.waitForSelector("body[data-ready]", { timeout: 10000 });
  check((await garbage.$$("#next li")).length > 0, "the garbage screen lists the next collections for the area");
  check((await garbage.$$("#month li")).length > 0, "and the month's collection days");
  check((await garbage.getAttribute("#ics", "href")).includes("/apps/garbage/calendar.ics?area="), "with a calendar subscription link");
  await garbage.fill("#q", "ペットボトル");
  await garbage.click("#search-form button");
  await garbage.waitForSelector("#results li");
  check((await garbage.textContent("#results")).includes("ペットボトル"), `the sorting guide finds an item (${(await garbage.textContent("#results")).slice(0, 60)})`);
  await garbage.selectOption("#area", { index: 1 });
  await page.waitForTimeout(300);
  const chosen = JSON.parse((await asResident(page, "GET", "/apps/garbage/me")).body);
  check(chosen.area === (await garbage.$eval("#area", (s) => s.value)), "the chosen area is kept for the resident");
  await axe(page, "the garbage calendar screen");
  await page.screenshot({ path: join(artifacts, "garbage-360.png"), fullPage: true });
  const consents = JSON.parse((await asResident(page, "GET", "/api/v1/me/consents")).body).consents;
  check(consents.find((c) => c.mini_app === "garbage")?.granted.includes("district"), "the district is granted to the garbage calendar");

  // Waiting count: the resident takes a ticket; counter staff call next in the staff console;
  // the resident's screen follows live.
  await page.click("nav a[href='#/']");
  await page.click("#apps li[data-id=counter] a");
  const counter = await frameOf(page, "/apps/counter/ui/");
  await counter.waitForSelector("body[data-ready]", { timeout: 10000 });
  const waiting = () => counter.$eval("li[data-counter=shimin] .count", (p) => p.textContent);
  await counter.click("li[data-counter=shimin] button");
  await counter.waitForFunction(() => /1/.test(document.querySelector("li[data-counter=shimin] .count").textContent));
  check(/1/.test(await waiting()), `the resident's ticket is counted (${await waiting()})`);
  const mineBefore = await counter.textContent("#mine");
  await axe(page, "the waiting count screen");
  const added = spawnSync(machi, ["staff", "add", "--manifest", demoFile, "--data", join(dir, "demo"),
                                  "--login", "desk@city.example", "--role", "counter", "--role", "library", "--role", "shelter", "--role", "operator"],
                          { input: "staff password 1\n" });
  check(added.status === 0, `a counter staff account (machi staff add: ${added.status})`);
  const staffContext = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "ja-JP" });
  const staffPage = await staffContext.newPage();
  await staffPage.goto(`${base}/`);
  await staffPage.fill("#login", "desk@city.example");
  await staffPage.fill("#password", "staff password 1");
  await staffPage.click("#sign-in-form button[type=submit]");
  await staffPage.waitForSelector("#staff-link:not([hidden])");
  await staffPage.click("#staff-link");
  await staffPage.waitForSelector("#staff-apps li a[href='#/staff/counter']");
  await axe(staffPage, "the staff console");
  await staffPage.click("#staff-apps li a[href='#/staff/counter']");
  const desk = await frameOf(staffPage, "/apps/counter/ui/staff.html");
  await desk.waitForSelector("body[data-ready]", { timeout: 10000 });
  await desk.click("button[data-counter=shimin]");
  await desk.waitForSelector("#status:not(:empty)");
  await axe(staffPage, "the counter desk");
  await counter.waitForFunction(() => /0/.test(document.querySelector("li[data-counter=shimin] .count").textContent), null, { timeout: 5000 });
  check(/0/.test(await waiting()), `the count changes live when staff call next (${await waiting()})`);
  await counter.waitForFunction((before) => document.querySelector("#mine").textContent !== before, mineBefore);
  check(true, `the resident's ticket shows it is called (${await counter.textContent("#mine")})`);

  // Library: the counter issues a card, the resident links it, finds a book and places a hold.
  await staffPage.click("#back");
  await staffPage.waitForSelector("#staff-apps li a[href='#/staff/library']");
  await staffPage.click("#staff-apps li a[href='#/staff/library']");
  const libraryDesk = await frameOf(staffPage, "/apps/library/ui/staff.html");
  await libraryDesk.waitForSelector("body[data-ready]", { timeout: 10000 });
  await libraryDesk.fill("#new-card", "20260123");
  await libraryDesk.fill("#new-pin", "2468");
  await libraryDesk.click("#register button[type=submit]");
  await libraryDesk.waitForSelector("#status:not(:empty)");
  check((await libraryDesk.textContent("#status")).includes("20260123"), `the counter issued a library card (${await libraryDesk.textContent("#status")})`);
  await axe(staffPage, "the library counter");

  await page.click("#back");
  await page.click("#apps li[data-id=library] a");
  const library = await frameOf(page, "/apps/library/ui/");
  await library.waitForSelector("body[data-ready]", { timeout: 10000 });
  await library.fill("#card-number", "20260123");
  await library.fill("#card-pin", "2468");
  await library.click("#card-form button[type=submit]");
  await library.waitForSelector("#card-form", { state: "hidden" });
  check((await library.textContent("#card")).includes("0123"), `the resident linked the card (${await library.textContent("#card")})`);
  await library.fill("#q", "ぼっちゃん");
  await library.click("#search-form button");
  await library.waitForSelector("#results li[data-isbn] button[data-action=hold]");
  const isbn = await library.getAttribute("#results li[data-isbn]", "data-isbn");
  check((await library.textContent("#results")).includes("坊っちゃん"), "a search in hiragana finds the book");
  await library.click(`#results li[data-isbn="${isbn}"] button[data-action=hold]`);
  await library.waitForSelector(`#holds li[data-isbn="${isbn}"]`);
  check(true, `the hold is listed (${await library.textContent(`#holds li[data-isbn="${isbn}"]`)})`);
  await axe(page, "the library screen");

  // Disaster: learning and a quiz; then shelter staff check the resident in with the citizen card
  // (pasted, as a scan would), and the resident's screen shows where they are checked in.
  await page.click("#back");
  await page.click("#apps li[data-id=bousai] a");
  await page.waitForSelector("#consent:not([hidden])");
  await page.check("#consent input[name=household]");
  await page.check("#consent input[name=district]");
  await page.click("#consent button[type=submit]");
  const bousai = await frameOf(page, "/apps/bousai/ui/");
  await bousai.waitForSelector("body[data-ready]", { timeout: 10000 }).catch(async (e) => {
    console.log("bousai status:", await bousai.textContent("#status"));
    throw e;
  });
  check((await bousai.$$("#shelters li")).length > 0, "the disaster screen lists the shelters");
  check((await bousai.$$("#nearest li")).length > 0, "and the nearest sites for the hazard");
  await bousai.click("#quizzes li button");
  await bousai.waitForSelector("#quiz:not([hidden]) fieldset");
  for (const set of await bousai.$$("#quiz fieldset")) await (await set.$("input[type=radio]")).check();
  await bousai.click("#quiz button[type=submit]");
  await bousai.waitForSelector("#score:not(:empty)");
  check(/\d/.test(await bousai.textContent("#score")), `a quiz is scored (${await bousai.textContent("#score")})`);
  await axe(page, "the disaster screen");
  const cardToken = JSON.parse((await asResident(page, "GET", "/api/v1/me/citizen-card")).body).token;
  await staffPage.click("#back");
  await staffPage.waitForSelector("#staff-apps li a[href='#/staff/bousai']");
  await staffPage.click("#staff-apps li a[href='#/staff/bousai']");
  const shelterDesk = await frameOf(staffPage, "/apps/bousai/ui/staff.html");
  await shelterDesk.waitForSelector("body[data-ready]", { timeout: 10000 });
  await shelterDesk.selectOption("#state", "open");
  await shelterDesk.click("#state-form button[type=submit]");
  await shelterDesk.waitForSelector("#status:not(:empty)");
  await shelterDesk.fill("#card", cardToken);
  await shelterDesk.click("#checkin-form button[type=submit]");
  await shelterDesk.waitForSelector("#roster li");
  check((await shelterDesk.textContent("#roster")).length > 0, `shelter staff checked the resident in (${await shelterDesk.textContent("#status")})`);
  await axe(staffPage, "the shelter desk");
  await bousai.waitForFunction(() => document.querySelector("#checkin").dataset.site, null, { timeout: 5000 });
  check(true, `the resident's screen shows the check-in (${await bousai.textContent("#checkin")})`);

  // An operator's broadcast: the audience is previewed, a too narrow one cannot be sent.
  await staffPage.click("#back");
  await staffPage.waitForSelector("#broadcast-form:not([hidden])");
  await staffPage.fill("#b-title", "避難所を開設しました");
  await staffPage.fill("#b-districts", "nabeshima");
  await staffPage.click("#b-preview");
  await staffPage.waitForSelector("#b-size:not(:empty)");
  check(await staffPage.isDisabled("#b-send"), `an audience below the minimum cannot be sent to (${await staffPage.textContent("#b-size")})`);
  await staffPage.fill("#b-districts", "");
  await staffPage.click("#b-preview");
  await staffPage.waitForFunction(() => !document.querySelector("#b-send").disabled);
  check((await staffPage.textContent("#b-size")).includes("1"), `the preview counts the audience (${await staffPage.textContent("#b-size")})`);
  await axe(staffPage, "the operator's broadcast form");
  await staffPage.click("#b-send");
  await staffPage.waitForFunction(() => document.querySelector("#status").textContent.includes("1"));
  check(true, `broadcast sent (${await staffPage.textContent("#status")})`);
  await staffContext.close();
  await page.click("#back");
  let notices = "";
  for (let i = 0; i < 50 && !notices; ++i) {
    await page.waitForTimeout(200);
    await page.evaluate(() => window.dispatchEvent(new HashChangeEvent("hashchange")));
    notices = await page.$eval("#badge", (b) => (b.hidden ? "" : b.firstChild?.textContent ?? ""));
  }
  check(notices !== "", `the resident's badge shows the operator's notice (${notices})`);

  // Settings: text size and contrast apply at once and stay on this device.
  await page.click("nav a[href='#/settings']");
  await page.waitForSelector("#settings:not([hidden])");
  await page.waitForSelector("#consents form[data-app=garbage] input[name=district]");
  check(await page.isChecked("#consents form[data-app=garbage] input[name=district]"), "settings list the consent, revocable");
  check(!(await page.isChecked("#consents form[data-app=childcare] input[name=household]")), "what was never granted stays unchecked");
  // Quiet hours for notifications, kept by the runtime.
  await page.waitForSelector("#quiet-form");
  await page.check("#quiet-on");
  await page.fill("#quiet-start", "21:30");
  await page.click("#quiet-form button[type=submit]");
  let prefs = {};
  for (let i = 0; i < 25 && prefs.quiet_hours?.start !== "21:30"; ++i) {
    await page.waitForTimeout(200);
    prefs = JSON.parse((await asResident(page, "GET", "/api/v1/me/notification-preferences")).body);
  }
  check(prefs.quiet_hours?.start === "21:30", `quiet hours are saved (${JSON.stringify(prefs.quiet_hours)})`);

  // The household in the profile, then the childcare screen: the child's vaccination schedule.
  await page.click("#add-member");
  await page.fill("#household li:last-child input[name=name]", "たろう");
  const born = new Date(Date.now() - 100 * 86400000).toISOString().slice(0, 10);
  await page.fill("#household li:last-child input[name=birthdate]", born);
  await page.click("#household-form button[type=submit]");
  let profile = {};
  for (let i = 0; i < 25 && !profile.household?.length; ++i) {
    await page.waitForTimeout(200);
    profile = JSON.parse((await asResident(page, "GET", "/api/v1/me")).body);
  }
  check(profile.household?.some((m) => m.name === "たろう" && m.birthdate === born), "the child is saved in the profile");
  await axe(page, "settings with the household");
  await page.click("nav a[href='#/']");
  await page.click("#apps li[data-id=childcare] a");
  await page.waitForSelector("#consent:not([hidden]) input[name=household]");
  await page.check("#consent input[name=household]");
  await page.click("#consent button[type=submit]");
  const childcare = await frameOf(page, "/apps/childcare/ui/");
  await childcare.waitForSelector("body[data-ready]", { timeout: 10000 });
  await childcare.waitForSelector("section[data-child] li[data-vaccine]");
  const plans = await childcare.$$("section[data-child] li[data-vaccine]");
  check(plans.length > 3, `the child's vaccination schedule (${plans.length} vaccines)`);
  const due = await childcare.$("button[data-action=record]");
  check(due !== null, "a dose that can be given now offers to record it");
  if (due) {
    const vaccine = await due.evaluate((b) => b.closest("li").dataset.vaccine);
    const before = await childcare.textContent(`li[data-vaccine="${vaccine}"]`);
    await due.click();
    await childcare.waitForFunction(([v, text]) => document.querySelector(`li[data-vaccine="${v}"]`)?.textContent !== text, [vaccine, before]);
    check(true, `recording a dose moves the plan on (${await childcare.textContent(`li[data-vaccine="${vaccine}"]`)})`);
  }
  check((await childcare.$$("#nurseries li")).length > 0, "nursery vacancies are listed");
  await axe(page, "the childcare screen");
  await page.click("nav a[href='#/settings']");
  await page.waitForSelector("#settings:not([hidden])");
  await page.check("input[name=text-size][value=large]");
  await page.check("#contrast");
  check(await page.evaluate(() => document.documentElement.classList.contains("size-large") &&
                                  document.documentElement.classList.contains("contrast")), "larger text and high contrast apply");
  await page.reload();
  await page.waitForSelector("#settings:not([hidden])");
  check(await page.evaluate(() => document.documentElement.classList.contains("size-large")), "display settings survive a reload");
  await axe(page, "settings with large text and high contrast");
  await page.screenshot({ path: join(artifacts, "settings-360.png"), fullPage: true });
  await page.check("input[name=text-size][value=normal]");
  await page.uncheck("#contrast");

  await page.click("nav a[href='#/']");
  await page.click("#sign-out");
  await page.waitForSelector("#sign-in:not([hidden])");
  const me = await page.evaluate(() => fetch("/api/v1/auth/session").then((r) => r.status));
  check(me === 401, "signed out: the session is gone");
  check(!(await page.evaluate(() => caches.has("machi-data"))), "signed out: the offline copy of the home screen is gone");
  await context.close();
}

async function frameOf(page, suffix) {
  for (let i = 0; i < 100; ++i) {
    const frame = page.frames().find((f) => f.url().endsWith(suffix));
    if (frame) return frame;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no frame at ${suffix}`);
}

async function miniAppSandbox(browser) {
  const notesManifest = join(dir, "notes.json");
  writeFileSync(notesManifest, JSON.stringify({
    municipality: "iso", name: "Isolation", public_url: "http://localhost", hostnames: ["localhost"],
    timezone: "Asia/Tokyo", mini_apps: [{ id: "notes-a", name: "Notes", plugin: "notes.so" }],
  }));
  const base = await startServer("iso", notesManifest, fixtureDir);
  const direct = await fetch(`${base}/apps/notes-a/ui/`);
  check(direct.headers.get("content-security-policy")?.startsWith("sandbox allow-scripts"), "a mini-app's documents are sandboxed by the runtime's policy");

  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "ja-JP" });
  const page = await context.newPage();
  await signUp(page, base);
  await page.click("#apps li:first-child a");
  await page.waitForSelector("#mini-app:not([hidden]) iframe");
  check((await page.getAttribute("#frame-box iframe", "sandbox")) === "allow-scripts allow-forms allow-popups allow-downloads", "the screen's frame is sandboxed without allow-same-origin");
  let frame;
  for (let i = 0; i < 100 && !frame; ++i) {
    frame = page.frames().find((f) => f.url().endsWith("/apps/notes-a/ui/"));
    if (!frame) await new Promise((r) => setTimeout(r, 50));
  }
  await frame.waitForSelector("body[data-done]", { timeout: 10000 });
  const seen = JSON.parse(await frame.textContent("#result"));
  check(seen.cookie === "threw" || !String(seen.cookie).includes("machi_session"), `the screen cannot read the session cookie (${seen.cookie})`);
  check(seen.parent === "threw", "the screen cannot reach into the shell's document");
  check(seen.storage === "threw", "the screen has no access to the shell's storage");
  check(seen.me === "blocked", `the screen cannot call /api/v1/me (${seen.me})`);
  check(seen.whoami === "subject", `through the bridge the screen reaches its own backend as the resident (${seen.whoami})`);
  check(seen.escape === "refused" && seen.encoded === "refused", `the bridge refuses paths outside the mini-app (${seen.escape}, ${seen.encoded})`);
  check(seen.note === "status 201", `a state change through the bridge carries the CSRF token (${seen.note})`);
  check(seen.language === "ja", `the screen is told the resident's language (${seen.language})`);
  const notes = await page.evaluate(() => fetch("/apps/notes-a/notes").then((r) => r.json()));
  check(notes.notes?.includes("from the screen"), "the note the screen wrote belongs to the resident");
  await axe(page, "a mini-app screen in the shell");

  // A notification from the mini-app: the unread badge, the inbox, marking it read.
  const notified = await page.evaluate(async () => {
    const { csrf_token } = await (await fetch("/api/v1/auth/session")).json();
    const r = await fetch("/apps/notes-a/notify", {
      method: "POST", headers: { "X-CSRF-Token": csrf_token, "Content-Type": "application/json" },
      body: JSON.stringify({ key: "k1", category: "info", title: "テストのお知らせ", body: "本文" }) });
    return r.status;
  });
  check(notified === 200, "the mini-app notified the resident");
  await page.click("nav a[href='#/']");
  let badge = "";
  for (let i = 0; i < 50 && badge !== "1"; ++i) {  // the scheduler moves it to the inbox within a second or two
    await page.waitForTimeout(200);
    await page.evaluate(() => window.dispatchEvent(new HashChangeEvent("hashchange")));
    badge = (await page.$eval("#badge", (b) => (b.hidden ? "" : b.firstChild?.textContent))) ?? "";
  }
  check(badge === "1", `the unread badge counts the new notification (${badge})`);
  await page.click("#inbox-link");
  await page.waitForSelector("#notifications li.unread");
  check((await page.textContent("#notifications li")).includes("テストのお知らせ"), "the inbox shows it");
  await axe(page, "the inbox");
  // Mute that kind of notification from the inbox; settings list it, to unmute.
  await page.click("#notifications li button[data-action=mute]");
  let muted = [];
  for (let i = 0; i < 25 && !muted.length; ++i) {
    await page.waitForTimeout(200);
    muted = JSON.parse((await asResident(page, "GET", "/api/v1/me/notification-preferences")).body).muted;
  }
  check(muted.some((m) => m.source === "notes-a" && m.category === "info"), `the kind is muted (${JSON.stringify(muted)})`);
  await page.click("nav a[href='#/settings']");
  await page.waitForSelector("#muted li button");
  await axe(page, "settings with a muted kind");
  await page.click("#muted li button");
  for (let i = 0; i < 25 && muted.length; ++i) {
    await page.waitForTimeout(200);
    muted = JSON.parse((await asResident(page, "GET", "/api/v1/me/notification-preferences")).body).muted;
  }
  check(muted.length === 0, "and unmuted from the settings");
  await page.click("#inbox-link");
  await page.waitForSelector("#notifications li.unread", { timeout: 5000 }).catch(async (e) => {
    console.log(await page.innerHTML("#inbox"), await page.textContent("#status"));
    throw e;
  });
  await page.click("#notifications li.unread button:not([data-action=mute])");
  await page.waitForSelector("#notifications li:not(.unread)");
  await page.waitForSelector("#badge", { state: "hidden" });
  check(await page.isHidden("#badge"), "marked read: the badge is gone");
  await context.close();
}

let browser;
try {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  checkLanguages();
  await homeScreen(browser);
  await miniAppSandbox(browser);
} catch (error) {
  check(false, `browser test ran to the end: ${error.stack}`);
} finally {
  await browser?.close();
  for (const server of servers) {
    server.kill("SIGTERM");
    await new Promise((r) => (server.exitCode !== null ? r() : server.once("exit", r)));
  }
  rmSync(dir, { recursive: true, force: true });
}
if (failures) {
  console.log(log.split("\n").slice(-30).join("\n"));
  process.exit(1);
}
console.log("all browser checks passed");
