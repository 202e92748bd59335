// The bridge between the shell and a mini-app's screen. A screen runs in a sandboxed iframe
// (an opaque origin: it cannot read the shell's session, and the runtime's policy forbids it to
// fetch anything itself). It reaches its own backend — and nothing else — by posting
//   {type: "machi:fetch", id, method, path, body?, contentType?}
// to its parent; the shell calls /apps/{mini-app}{path} as the resident (cookie + CSRF token) and
// posts back {type: "machi:response", id, status, contentType, body} (body as text), or
// {type: "machi:response", id, status: 0, error} when it refused the request. The shell also
// sends {type: "machi:context", language} when the screen loads and the language changes.
// docs/web-app.md documents the API for vendors.

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const MAX_BODY = 1024 * 1024;

// A path inside the mini-app: "/…", no "..", no "//", no backslash, no scheme, at most 2 KiB.
export function validPath(path) {
  return typeof path === "string" && path.startsWith("/") && path.length <= 2048 &&
         !path.startsWith("//") && !/(^|\/)\.\.?(\/|$|\?)|\\|%2e|%2f|%5c/i.test(path);
}

export function openBridge({ frame, appId, csrf, language }) {
  const post = (message) => frame.contentWindow?.postMessage(message, "*");  // its origin is opaque ("null")
  const onMessage = async (event) => {
    if (event.source !== frame.contentWindow || typeof event.data !== "object" || event.data === null) return;
    const { type, id, method = "GET", path, body, contentType } = event.data;
    if (type !== "machi:fetch") return;
    const refuse = (error) => post({ type: "machi:response", id, status: 0, error });
    if (!METHODS.has(method)) return refuse("method not allowed");
    if (!validPath(path)) return refuse("path must stay inside the mini-app");
    if (body !== undefined && (typeof body !== "string" || body.length > MAX_BODY)) return refuse("body must be text up to 1 MiB");
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = typeof contentType === "string" ? contentType : "application/json";
    if (method !== "GET" && csrf()) headers["X-CSRF-Token"] = csrf();
    try {
      const response = await fetch(`/apps/${encodeURIComponent(appId)}${path}`, {
        method, headers, body, credentials: "same-origin", redirect: "error",
      });
      post({ type: "machi:response", id, status: response.status,
             contentType: response.headers.get("content-type") ?? "", body: await response.text() });
    } catch (error) {
      refuse(String(error.message ?? error));
    }
  };
  window.addEventListener("message", onMessage);
  frame.addEventListener("load", () => post({ type: "machi:context", language: language() }));
  return {
    context: () => post({ type: "machi:context", language: language() }),
    close: () => window.removeEventListener("message", onMessage),
  };
}
