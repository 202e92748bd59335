// Docs are part of the product: every manifest in manifests/ (and bench/) must satisfy
// manifests/manifest.schema.json, the schema must reject broken manifests, and
// docs/openapi.yaml must be a valid OpenAPI 3 document. Prints "N passed, N failed".
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import SwaggerParser from "@apidevtools/swagger-parser";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name}${detail ? ": " + detail : ""}`); }
}

const schema = JSON.parse(readFileSync(join(root, "manifests/manifest.schema.json"), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const manifests = readdirSync(join(root, "manifests"))
  .filter((f) => f.endsWith(".json") && f !== "manifest.schema.json")
  .map((f) => join(root, "manifests", f))
  .concat([join(root, "bench/manifest.json")]);
for (const file of manifests) {
  const ok = validate(JSON.parse(readFileSync(file, "utf8")));
  check(`schema accepts ${file}`, ok, JSON.stringify(validate.errors));
}

const demo = JSON.parse(readFileSync(join(root, "manifests/demo.json"), "utf8"));
const broken = {
  "no hostnames": (m) => { delete m.hostnames; },
  "bad id": (m) => { m.municipality = "Saga City"; },
  "bad audience": (m) => { m.mini_apps[0].audience = ["tourists"]; },
  "unknown grant": (m) => { m.mini_apps[0].grants = ["password"]; },
  "deadline too small": (m) => { m.mini_apps[0].deadline_ms = 1; },
  "unknown priority": (m) => { m.mini_apps[0].priority = "urgent"; },
  "breaker open too short": (m) => { m.mini_apps[0].breaker = { failures: 3, open_ms: 1 }; },
  "unknown isolation": (m) => { m.mini_apps[0].isolation = "sandbox"; },
  "plugin host without workers": (m) => { m.mini_apps[0].isolation = "process"; m.mini_apps[0].process = { workers: 0 }; },
  "unknown field": (m) => { m.mini_apps[0].plguin = "x.so"; },
  "URL with query": (m) => { m.public_url = "https://x.example/?a=1"; },
  "a private key in a verifier": (m) => {
    m.verifiers = [{ issuer: "https://v.example",
                     keys: [{ kty: "EC", crv: "P-256", kid: "k", x: "x", y: "y", d: "secret" }] }];
  },
};
for (const [name, breakIt] of Object.entries(broken)) {
  const copy = structuredClone(demo);
  breakIt(copy);
  check(`schema rejects a manifest with ${name}`, !validate(copy));
}

try {
  const api = await SwaggerParser.validate(join(root, "docs/openapi.yaml"));
  check("docs/openapi.yaml is valid OpenAPI", true);
  for (const path of ["/healthz", "/readyz", "/api/v1/apps", "/apps/{id}/{path}",
                      "/.well-known/jwks.json", "/.well-known/oauth-authorization-server",
                      "/api/v1/auth/register", "/api/v1/auth/token", "/api/v1/auth/signout",
                      "/api/v1/me", "/api/v1/me/password", "/api/v1/me/export",
                      "/api/v1/me/verification/nonce", "/api/v1/me/verification",
                      "/api/v1/me/consents", "/api/v1/me/consents/{id}", "/api/v1/me/apps", "/api/v1/me/cards",
                      "/api/v1/me/citizen-card", "/api/v1/me/disclosures",
                      "/api/v1/staff/citizen-card/verify", "/api/v1/staff/recovery",
                      "/api/v1/auth/recover", "/api/v1/auth/session",
                      "/api/v1/me/notifications", "/api/v1/me/notifications/{id}/read",
                      "/api/v1/me/notifications/read-all", "/api/v1/me/notification-preferences",
                      "/api/v1/me/stream-tickets", "/api/v1/me/stream", "/api/v1/me/push-subscriptions",
                      "/api/v1/me/push-subscriptions/{id}", "/api/v1/push/vapid-public-key",
                      "/api/v1/staff/broadcasts", "/api/v1/staff/broadcasts/preview",
                      "/api/v1/staff/broadcasts/{id}", "/apps/{id}/live/{channel}"]) {
    check(`openapi documents ${path}`, path in api.paths);
  }
} catch (e) {
  check("docs/openapi.yaml is valid OpenAPI", false, e.message);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
