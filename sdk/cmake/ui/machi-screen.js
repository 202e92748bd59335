// Machi screen helper, embedded in every plugin that uses machi_plugin_assets() as
// "machi-screen.js". Load it with a classic <script src="machi-screen.js"></script> (module scripts
// cannot load in the sandbox). It talks to the shell (docs/web-app.md):
//   machi.json(method, path, value?)  → the parsed JSON answer of /apps/{this}{path}, as the resident;
//                                       throws Error (with .status) for 4xx/5xx or a refused call
//   machi.call(method, path, body?, contentType?) → {status, contentType, body}
//   machi.onContext(fn)                fn({language}) now and whenever the resident switches language
//   machi.live(channel, fn)            fn(message) for each message on this mini-app's public live
//                                      channel (an EventSource on /apps/{this}/live/{channel})
//   machi.i18n(TEXT, onChange)         TEXT = {ja: {key: "…{name}…"}, "ja-easy": {…}, en: {…}}: returns
//                                      t(key, vars) in the resident's language; fills every
//                                      [data-t] element, sets <html lang>, then calls onChange()
//                                      now and on every switch
(function () {
  "use strict";
  const pending = new Map();
  const listeners = [];
  let next = 1;
  let context = { language: "ja" };
  addEventListener("message", function (event) {
    if (event.source !== parent || typeof event.data !== "object" || event.data === null) return;
    if (event.data.type === "machi:context") {
      context = { language: String(event.data.language || "ja") };
      listeners.forEach(function (fn) { fn(context); });
    } else if (event.data.type === "machi:response") {
      const done = pending.get(event.data.id);
      if (done) {
        pending.delete(event.data.id);
        done(event.data);
      }
    }
  });
  function call(method, path, body, contentType) {
    return new Promise(function (resolve, reject) {
      const id = next++;
      pending.set(id, function (r) { return r.status === 0 ? reject(new Error(r.error)) : resolve(r); });
      parent.postMessage({ type: "machi:fetch", id: id, method: method, path: path, body: body,
                           contentType: contentType }, "*");
    });
  }
  async function json(method, path, value) {
    const r = await call(method, path, value === undefined ? undefined : JSON.stringify(value), "application/json");
    let data = null;
    try { data = r.body ? JSON.parse(r.body) : null; } catch (e) { data = null; }
    if (r.status >= 400) {
      const error = new Error((data && data.error && data.error.message) || "HTTP " + r.status);
      error.status = r.status;
      throw error;
    }
    return data;
  }
  window.machi = {
    call: call,
    json: json,
    context: function () { return context; },
    onContext: function (fn) { listeners.push(fn); fn(context); },
    i18n: function (TEXT, onChange) {
      let lang = "ja";
      function t(key, vars) {
        const text = (TEXT[lang] || TEXT.ja)[key];
        return String(text === undefined ? key : text).replace(/\{(\w+)\}/g, function (_, k) {
          return vars && vars[k] !== undefined ? vars[k] : "";
        });
      }
      window.machi.onContext(function (c) {
        lang = TEXT[c.language] ? c.language : "ja";
        document.documentElement.lang = lang === "en" ? "en" : "ja";
        document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.dataset.t); });
        if (onChange) onChange();
      });
      return t;
    },
    live: function (channel, fn) {
      const source = new EventSource(new URL("../live/" + encodeURIComponent(channel), location.href).href);
      source.addEventListener("live", function (event) { fn(JSON.parse(event.data).message); });
      return source;
    },
  };
})();
