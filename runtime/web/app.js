// The resident web app shell (plain modern JS, no build step): sign-up and sign-in with the
// HttpOnly cookie session (state-changing calls send its CSRF token), the home screen with the
// resident's own order and hidden mini-apps (persisted through PUT /api/v1/me/apps), and the
// language switch (ja, やさしい日本語, en). docs/web-app.md describes what is here and what is next.

import { openBridge } from "/bridge.js";

const LANGUAGES = ["ja", "ja-easy", "en"];
const state = { csrf: null, account: null, roles: [], apps: [], strings: {}, lang: "ja", bridge: null };
const $ = (id) => document.getElementById(id);

function t(key, vars = {}) {
  const text = state.strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.csrf && method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(data?.error?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function say(message) {
  $("status").textContent = message;
}

async function setLanguage(lang) {
  state.lang = LANGUAGES.includes(lang) ? lang : "ja";
  state.strings = await api("GET", `/i18n/${state.lang}.json`);
  document.documentElement.lang = state.lang === "ja-easy" ? "ja" : state.lang;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  $("language").value = state.lang;
  localStorage.setItem("machi.language", state.lang);
  if (state.account) {
    renderHome();
    if (!$("home").hidden) renderCards();
    refreshBadge();
  }
  state.bridge?.context();
}

const VIEWS = ["sign-in", "visit", "home", "inbox", "card", "settings", "consent", "staff", "mini-app"];

function show(view) {
  for (const name of VIEWS) $(name).hidden = name !== view;
  $("nav").hidden = !state.account;
  if (view !== "mini-app") closeMiniApp();
}

// The language the runtime and plugins know for cards: easy Japanese reads the Japanese ones.
const apiLocale = () => (state.lang === "en" ? "en" : "ja");

async function refreshBadge() {
  try {
    const { unread } = await api("GET", "/api/v1/me/notifications?limit=1");
    const badge = $("badge");
    badge.hidden = unread === 0;
    const shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true");
    shown.textContent = String(unread);
    const spoken = document.createElement("span");
    spoken.className = "sr-only";
    spoken.textContent = t("unread", { n: unread });  // read out with the link: "お知らせ 未読 1 件"
    badge.replaceChildren(shown, spoken);
  } catch {
    // the badge is a hint; the inbox itself reports failures
  }
}

async function renderCards() {
  const list = $("cards");
  try {
    const { cards } = await api("GET", `/api/v1/me/cards?locale=${apiLocale()}`);
    list.replaceChildren(...cards.map((card) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#/apps/${card.app}`;
      link.textContent = card.title;
      item.append(link);
      if (card.body) {
        const body = document.createElement("p");
        body.textContent = card.body;
        item.append(body);
      }
      return item;
    }));
    if (!cards.length) {
      const none = document.createElement("li");
      none.textContent = t("no_cards");
      list.append(none);
    }
  } catch (error) {
    say(t("failed", { reason: error.message }));
  }
}

async function renderInbox() {
  const { items } = await api("GET", "/api/v1/me/notifications?limit=50");
  const list = $("notifications");
  list.replaceChildren(...items.map((n) => {
    const item = document.createElement("li");
    if (!n.read) item.classList.add("unread");
    const title = document.createElement("strong");
    title.textContent = (n.read ? "" : `${t("new")}: `) + n.title;
    const body = document.createElement("p");
    body.textContent = n.body;
    const when = document.createElement("p");
    when.className = "when";
    when.textContent = new Date(n.created_unix_ms).toLocaleString(apiLocale() === "en" ? "en" : "ja-JP");
    item.append(title, body, when);
    const mute = document.createElement("button");
    mute.type = "button";
    mute.className = "quiet";
    mute.dataset.action = "mute";
    mute.textContent = t("mute");
    mute.setAttribute("aria-label", t("mute_named", { source: sourceName(n.source), category: n.category }));
    mute.addEventListener("click", () => muteKind(n.source, n.category).catch((e) => say(t("failed", { reason: e.message }))));
    item.append(mute);
    if (!n.read) {
      const read = document.createElement("button");
      read.type = "button";
      read.className = "quiet";
      read.textContent = t("mark_read");
      read.setAttribute("aria-label", t("mark_read_named", { title: n.title }));
      read.addEventListener("click", async () => {
        await api("POST", `/api/v1/me/notifications/${n.id}/read`).catch((e) => say(t("failed", { reason: e.message })));
        await renderInbox();
        await refreshBadge();
      });
      item.append(read);
    }
    return item;
  }));
  $("inbox-empty").hidden = items.length > 0;
  $("read-all").hidden = !items.some((n) => !n.read);
}

// --- the digital citizen card ----------------------------------------------------------------
let cardTimer = null;

async function renderCard() {
  state.account = await api("GET", "/api/v1/me");  // verification may have happened meanwhile
  const verified = state.account.assurance === "verified";
  $("card-verified").hidden = !verified;
  $("card-unverified").hidden = verified;
}

async function showCard() {
  const card = await api("GET", "/api/v1/me/citizen-card");
  const img = $("card-qr");
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(card.qr_svg)}`;
  img.alt = t("card_qr");
  img.hidden = false;
  $("card-refresh").textContent = t("card_refresh");
  const until = Date.now() + card.expires_in * 1000;
  clearInterval(cardTimer);
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    $("card-expiry").textContent = left ? t("card_expires", { s: left }) : t("card_expired");
    if (!left) {
      clearInterval(cardTimer);
      img.hidden = true;
      img.removeAttribute("src");
      say(t("card_expired"));
    }
  };
  tick();
  cardTimer = setInterval(tick, 1000);
}

// --- consents: what each mini-app receives ------------------------------------------------
function consentForm(entry, submitLabel, onSaved) {
  const form = document.createElement("form");
  form.className = "consent";
  form.dataset.app = entry.mini_app;
  const fieldset = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.textContent = t("consent_title", { name: entry.name });
  fieldset.append(legend);
  for (const claim of entry.requested) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = claim;
    box.checked = entry.granted.includes(claim);
    label.append(box, ` ${t(`claim_${claim}`)}`);
    fieldset.append(label);
  }
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = submitLabel;
  form.append(fieldset, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const claims = entry.requested.filter((claim) => form.elements[claim].checked);
    try {
      await api("PUT", `/api/v1/me/consents/${encodeURIComponent(entry.mini_app)}`, { claims });
      localStorage.setItem(`machi.asked.${entry.mini_app}`, "1");
      say(t("consent_saved", { name: entry.name }));
      onSaved?.();
    } catch (error) {
      say(t("failed", { reason: error.message }));
    }
  });
  return form;
}

// The household (children with birth dates) in the resident's profile: what mini-apps such as
// childcare receive when the resident shares it.
let memberCount = 0;
function memberRow(member = { name: "", birthdate: "", relation: "child" }) {
  const n = ++memberCount;
  const item = document.createElement("li");
  item.dataset.relation = member.relation ?? "child";
  const field = (key, type, value) => {
    const label = document.createElement("label");
    label.htmlFor = `member-${key}-${n}`;
    label.textContent = t(`member_${key}`);
    const input = document.createElement("input");
    input.id = `member-${key}-${n}`;
    input.name = key;
    input.type = type;
    input.required = true;
    input.value = value ?? "";
    return [label, input];
  };
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "quiet";
  remove.textContent = t("remove_member", { name: member.name || "" });
  remove.addEventListener("click", () => item.remove());
  item.append(...field("name", "text", member.name), ...field("birthdate", "date", member.birthdate), remove);
  return item;
}

function renderHousehold() {
  $("household").replaceChildren(...(state.account.household ?? []).map((m) => memberRow(m)));
}

async function saveHousehold() {
  const household = [...$("household").children].map((item) => ({
    name: item.querySelector("input[name=name]").value,
    birthdate: item.querySelector("input[name=birthdate]").value,
    relation: item.dataset.relation,
  }));
  state.account = await api("PATCH", "/api/v1/me", { household });
  renderHousehold();
  say(t("household_saved"));
}

async function renderConsents() {
  const { consents } = await api("GET", "/api/v1/me/consents");
  const asking = consents.filter((c) => c.requested.length > 0);
  $("consents").replaceChildren(...asking.map((entry) => consentForm(entry, t("consent_save"))));
}

// Opening a mini-app that asks for more than the pairwise subject for the first time: ask.
async function needsConsent(app) {
  if (localStorage.getItem(`machi.asked.${app.id}`)) return null;
  const { consents } = await api("GET", "/api/v1/me/consents");
  const entry = consents.find((c) => c.mini_app === app.id);
  return entry && entry.requested.length > 0 && entry.granted.length === 0 ? entry : null;
}

// Muting: a kind of notification (its source mini-app and category) the resident no longer wants;
// critical ones still come through (the runtime decides).
function sourceName(source) {
  return source ? (state.apps.find((a) => a.id === source)?.name ?? source) : t("city");
}

async function muteKind(source, category) {
  const prefs = await api("GET", "/api/v1/me/notification-preferences");
  const muted = prefs.muted.filter((m) => !(m.source === source && m.category === category));
  muted.push({ source, category });
  await api("PUT", "/api/v1/me/notification-preferences", { muted });
  say(t("muted_done"));
}

function renderMuted(muted) {
  const list = $("muted");
  list.replaceChildren(...muted.map((m) => {
    const item = document.createElement("li");
    item.textContent = t("muted_item", { source: sourceName(m.source), category: m.category });
    const unmute = document.createElement("button");
    unmute.type = "button";
    unmute.className = "quiet";
    unmute.textContent = t("unmute");
    unmute.setAttribute("aria-label", t("unmute_named", { source: sourceName(m.source), category: m.category }));
    unmute.addEventListener("click", async () => {
      const rest = muted.filter((x) => x !== m);
      await api("PUT", "/api/v1/me/notification-preferences", { muted: rest }).catch((e) => say(t("failed", { reason: e.message })));
      await renderQuiet();
    });
    item.append(" ", unmute);
    return item;
  }));
  if (!muted.length) list.append(Object.assign(document.createElement("li"), { textContent: t("muted_none") }));
}

async function renderQuiet() {
  const prefs = await api("GET", "/api/v1/me/notification-preferences");
  renderMuted(prefs.muted);
  $("quiet-on").checked = !!prefs.quiet_hours;
  if (prefs.quiet_hours) {
    $("quiet-start").value = prefs.quiet_hours.start;
    $("quiet-end").value = prefs.quiet_hours.end;
  }
}

async function saveQuiet() {
  const quiet_hours = $("quiet-on").checked ? { start: $("quiet-start").value, end: $("quiet-end").value } : null;
  await api("PUT", "/api/v1/me/notification-preferences", { quiet_hours });
  say(t("notifications_saved"));
}

function applyDisplay() {
  const size = localStorage.getItem("machi.textSize") ?? "normal";
  const contrast = localStorage.getItem("machi.contrast") === "1";
  document.documentElement.classList.toggle("size-large", size === "large");
  document.documentElement.classList.toggle("size-largest", size === "largest");
  document.documentElement.classList.toggle("contrast", contrast);
  for (const radio of document.querySelectorAll("input[name=text-size]")) radio.checked = radio.value === size;
  $("contrast").checked = contrast;
}

function closeMiniApp() {
  state.bridge?.close();
  state.bridge = null;
  $("frame-box").replaceChildren();
}

// The visitor side (B面): the mini-apps the municipality offers visitors, without an account.
async function renderVisit() {
  const { apps } = await api("GET", "/api/v1/apps");
  state.visitorApps = apps.filter((a) => a.audience.includes("visitors"));
  $("visit-apps").replaceChildren(...state.visitorApps.map((app) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#/apps/${app.id}`;
    link.textContent = app.name;
    item.append(link);
    if (app.description) {
      const about = document.createElement("p");
      about.textContent = app.description;
      item.append(about);
    }
    return item;
  }));
}

// The staff console: the mini-apps that ship a staff screen (/apps/{id}/ui/staff.html), for
// accounts with a staff role. The plugin checks the role on every call the screen makes.
async function renderStaff() {
  const { apps } = await api("GET", "/api/v1/apps");
  const found = [];
  for (const app of apps) {
    const probe = await fetch(`/apps/${encodeURIComponent(app.id)}/ui/staff.html`, { method: "GET" }).catch(() => null);
    if (probe?.ok) found.push(app);
  }
  state.staffApps = found;
  const list = $("staff-apps");
  list.replaceChildren(...found.map((app) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#/staff/${app.id}`;
    link.textContent = app.name;
    item.append(link);
    return item;
  }));
  if (!found.length) {
    const none = document.createElement("li");
    none.textContent = t("staff_none");
    list.append(none);
  }
}

// Operators: a notice to an audience of residents, previewed (its size) before it is sent.
function broadcastAudience() {
  const audience = {};
  const districts = $("b-districts").value.split(",").map((d) => d.trim()).filter(Boolean);
  if (districts.length) audience.districts = districts;
  if ($("b-children").value) audience.children_under = Number($("b-children").value);
  return Object.keys(audience).length ? audience : null;
}

async function previewBroadcast() {
  const preview = await api("POST", "/api/v1/staff/broadcasts/preview", { audience: broadcastAudience() });
  $("b-size").textContent = preview.allowed ? t("b_size", { n: preview.audience_size })
                                            : t("b_too_small", { n: preview.audience_size, min: preview.minimum });
  $("b-send").disabled = !preview.allowed;
  return preview;
}

async function sendBroadcast() {
  const notification = { key: `web-${Date.now()}-${crypto.randomUUID()}`, category: "notice",
                         title: $("b-title").value, urgency: $("b-urgency").value };
  if ($("b-body").value) notification.body = $("b-body").value;
  const sent = await api("POST", "/api/v1/staff/broadcasts", { audience: broadcastAudience(), notification });
  say(t("b_sent", { n: sent.recipients }));
  $("broadcast-form").reset();
  $("b-size").textContent = "";
}

function openMiniApp(app, screen = "") {
  show("mini-app");
  $("back").href = !state.account ? "#/visit" : screen ? "#/staff" : "#/";
  $("mini-app-title").textContent = app.name;
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts allow-forms allow-popups allow-downloads");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.title = app.name;
  frame.src = `/apps/${encodeURIComponent(app.id)}/ui/${screen}`;
  state.bridge = openBridge({ frame, appId: app.id, csrf: () => state.csrf, language: () => state.lang });
  $("frame-box").append(frame);
  $("mini-app-title").focus();
}

// "#/apps/{id}": the mini-app's own screen (served by its plugin at /apps/{id}/ui/), isolated in
// a sandboxed frame; anything else: the home screen.
async function route() {
  if (!state.account) {
    const visiting = /^#\/apps\/([a-z0-9_-]{1,64})$/.exec(location.hash);
    if (visiting && !state.visitorApps) await renderVisit().catch(() => {});
    const app = visiting && (state.visitorApps ?? []).find((a) => a.id === visiting[1]);
    closeMiniApp();
    if (app) return openMiniApp(app);
    if (location.hash === "#/visit") {
      show("visit");
      await renderVisit().catch((e) => say(t("failed", { reason: e.message })));
      $("visit-title").focus();
      return;
    }
    show("sign-in");
    return;
  }
  if (location.hash === "#/inbox") {
    show("inbox");
    renderInbox().then(refreshBadge).catch((e) => say(t("failed", { reason: e.message })));
    $("inbox-title").focus();
    return;
  }
  if (location.hash === "#/settings") {
    show("settings");
    renderConsents().catch((e) => say(t("failed", { reason: e.message })));
    renderQuiet().catch((e) => say(t("failed", { reason: e.message })));
    api("GET", "/api/v1/me").then((account) => { state.account = account; renderHousehold(); })
      .catch((e) => say(t("failed", { reason: e.message })));
    $("settings-title").focus();
    return;
  }
  if (location.hash === "#/staff" && state.roles.length) {
    show("staff");
    $("broadcast-form").hidden = !state.roles.includes("operator");
    renderStaff().catch((e) => say(t("failed", { reason: e.message })));
    $("staff-title").focus();
    return;
  }
  const staffScreen = /^#\/staff\/([a-z0-9_-]{1,64})$/.exec(location.hash);
  if (staffScreen && state.roles.length) {
    if (!state.staffApps) await renderStaff().catch(() => {});
    const app = (state.staffApps ?? []).find((a) => a.id === staffScreen[1]);
    if (app) {
      closeMiniApp();
      return openMiniApp(app, "staff.html");
    }
  }
  if (location.hash === "#/card") {
    show("card");
    renderCard().catch((e) => say(t("failed", { reason: e.message })));
    $("card-title").focus();
    return;
  }
  const match = /^#\/apps\/([a-z0-9_-]{1,64})$/.exec(location.hash);
  const app = match && state.apps.find((a) => a.id === match[1]);
  if (!app) {
    show("home");
    renderCards();
    refreshBadge();
    return;
  }
  closeMiniApp();
  const asking = await needsConsent(app).catch(() => null);
  if (asking) {
    show("consent");
    $("consent-title").textContent = app.name;
    $("consent-form").replaceWith(Object.assign(consentForm(asking, t("consent_open"), () => route()), { id: "consent-form" }));
    $("consent-title").focus();
    return;
  }
  openMiniApp(app);
}

function renderHome(focus) {
  $("greeting").textContent = t("greeting", { name: state.account.display_name ?? "" });
  const list = $("apps");
  list.replaceChildren();
  state.apps.forEach((app, index) => {
    const item = document.createElement("li");
    item.dataset.id = app.id;
    if (app.hidden) item.classList.add("hidden-app");
    const link = document.createElement("a");
    link.href = `#/apps/${app.id}`;
    link.textContent = app.hidden ? `${app.name} ${t("hidden")}` : app.name;
    const moves = document.createElement("span");
    moves.className = "moves";
    const button = (action, label, symbol, disabled) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "quiet";
      b.dataset.action = action;
      const shown = document.createElement("span");
      shown.setAttribute("aria-hidden", "true");
      shown.textContent = symbol;
      const spoken = document.createElement("span");
      spoken.className = "sr-only";
      spoken.textContent = label;  // the button's name: which mini-app, which way
      b.append(shown, spoken);
      b.disabled = disabled;
      b.addEventListener("click", () => change(app.id, action));
      return b;
    };
    moves.append(
      button("up", t("move_up", { name: app.name }), "↑", index === 0),
      button("down", t("move_down", { name: app.name }), "↓", index === state.apps.length - 1),
      button("toggle", t(app.hidden ? "show" : "hide", { name: app.name }), app.hidden ? "+" : "−", false));
    item.append(link, moves);
    item.draggable = true;
    item.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("text/plain", app.id);
      event.dataTransfer.effectAllowed = "move";
    });
    item.addEventListener("dragover", (event) => {
      event.preventDefault();
      item.classList.add("drop-target");
    });
    item.addEventListener("dragleave", () => item.classList.remove("drop-target"));
    item.addEventListener("drop", (event) => {
      event.preventDefault();
      item.classList.remove("drop-target");
      const moved = event.dataTransfer.getData("text/plain");
      if (moved && moved !== app.id) moveTo(moved, app.id);
    });
    list.append(item);
  });
  if (focus) {
    const target = list.querySelector(`li[data-id="${CSS.escape(focus.id)}"] button[data-action="${focus.action}"]`);
    (target && !target.disabled ? target : list.querySelector(`li[data-id="${CSS.escape(focus.id)}"] a`))?.focus();
  }
}

// Drag and drop: `id` takes the place of `target` (the others shift), then saved as with buttons.
async function moveTo(id, target) {
  const apps = state.apps.filter((a) => a.id !== id);
  const moved = state.apps.find((a) => a.id === id);
  const at = apps.findIndex((a) => a.id === target);
  const from = state.apps.findIndex((a) => a.id === id);
  apps.splice(from <= at ? at + 1 : at, 0, moved);
  await saveOrder(apps, { id, action: "up" });
}

async function saveOrder(apps, focus) {
  try {
    const saved = await api("PUT", "/api/v1/me/apps", { apps: apps.map(({ id, hidden }) => ({ id, hidden })) });
    state.apps = saved.apps;
    renderHome(focus);
    say(t("saved"));
  } catch (error) {
    say(t("failed", { reason: error.message }));
  }
}

async function change(id, action) {
  const index = state.apps.findIndex((app) => app.id === id);
  const apps = state.apps.map((app) => ({ ...app }));
  if (action === "up" && index > 0) [apps[index - 1], apps[index]] = [apps[index], apps[index - 1]];
  else if (action === "down" && index < apps.length - 1) [apps[index + 1], apps[index]] = [apps[index], apps[index + 1]];
  else if (action === "toggle") apps[index].hidden = !apps[index].hidden;
  await saveOrder(apps, { id, action });
}

async function enterHome(session) {
  state.csrf = session.csrf_token;
  state.account = session.account;
  state.roles = session.roles ?? [];
  $("staff-link").hidden = state.roles.length === 0;
  state.apps = (await api("GET", "/api/v1/me/apps")).apps;
  renderHome();
  route();
  if (!navigator.onLine) say(t("offline"));
}

async function signIn(login, password) {
  await enterHome(await api("POST", "/api/v1/auth/session", { login, password }));
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function start() {
  $("language").addEventListener("change", (e) => setLanguage(e.target.value));
  window.addEventListener("hashchange", route);
  applyDisplay();
  for (const radio of document.querySelectorAll("input[name=text-size]")) {
    radio.addEventListener("change", () => { localStorage.setItem("machi.textSize", radio.value); applyDisplay(); });
  }
  $("contrast").addEventListener("change", (e) => { localStorage.setItem("machi.contrast", e.target.checked ? "1" : "0"); applyDisplay(); });
  $("quiet-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveQuiet().catch((e) => say(t("failed", { reason: e.message })));
  });
  $("add-member").addEventListener("click", () => {
    const row = memberRow();
    $("household").append(row);
    row.querySelector("input").focus();
  });
  $("household-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveHousehold().catch((e) => say(t("failed", { reason: e.message })));
  });
  $("b-preview").addEventListener("click", () => previewBroadcast().catch((e) => say(t("failed", { reason: e.message }))));
  for (const id of ["b-districts", "b-children"]) $(id).addEventListener("input", () => { $("b-size").textContent = ""; });
  $("broadcast-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      if ((await previewBroadcast()).allowed) await sendBroadcast();
    } catch (error) {
      say(t("failed", { reason: error.message }));
    }
  });
  $("card-refresh").addEventListener("click", () => showCard().catch((e) => say(t("failed", { reason: e.message }))));
  $("read-all").addEventListener("click", async () => {
    await api("POST", "/api/v1/me/notifications/read-all").catch((e) => say(t("failed", { reason: e.message })));
    await renderInbox();
    await refreshBadge();
  });
  await setLanguage(localStorage.getItem("machi.language") ?? (navigator.language.startsWith("ja") ? "ja" : "en"));
  try {
    const city = await api("GET", "/api/v1/apps");
    $("city").textContent = city.name;
    document.title = city.name;
  } catch {
    // the name is decoration; the rest works without it
  }
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { login, password } = formValues(event.target);
    try {
      await signIn(login, password);
      say("");
    } catch (error) {
      say(t("failed", { reason: error.message }));
    }
  });
  $("sign-up-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { login, password, display_name } = formValues(event.target);
    try {
      const tokens = await api("POST", "/api/v1/auth/register",
                               { login, password, display_name, language: state.lang === "en" ? "en" : "ja" });
      // The shell uses the cookie session; the API tokens registration returns are revoked.
      await api("POST", "/api/v1/auth/signout", { refresh_token: tokens.refresh_token }).catch(() => {});
      await signIn(login, password);
      say("");
    } catch (error) {
      say(t("failed", { reason: error.message }));
    }
  });
  $("sign-out").addEventListener("click", async () => {
    await api("DELETE", "/api/v1/auth/session").catch(() => {});
    // Nothing of the resident stays on the device: the offline copy of their home goes too.
    navigator.serviceWorker?.controller?.postMessage({ type: "machi:signed-out" });
    await caches?.delete("machi-data").catch(() => {});
    Object.assign(state, { csrf: null, account: null, roles: [], apps: [], staffApps: null });
    $("nav").hidden = true;
    show("sign-in");
    history.replaceState(null, "", "#/");
    say(t("signed_out"));
  });
  try {
    await enterHome(await api("GET", "/api/v1/auth/session"));
  } catch (error) {
    if (error.status !== 401) say(t("failed", { reason: error.message }));
    route();
  }
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});  // installable and offline when it works
}
start();
