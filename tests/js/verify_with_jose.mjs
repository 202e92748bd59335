// An independent JOSE implementation (the npm package `jose`) verifies a Machi token against the
// JWKS the runtime publishes. Usage: node verify_with_jose.mjs METADATA_URL TOKEN TYP AUDIENCE
// Finds jwks_uri through the RFC 8414 metadata; exits 0 and prints the claims when valid, 1 when
// jose refuses the token.
import { createRemoteJWKSet, jwtVerify } from "jose";

const [metadataUrl, token, typ, audience] = process.argv.slice(2);
const metadata = await (await fetch(metadataUrl)).json();
// The test server listens on a loopback port; the metadata names the municipality's public URL.
const jwksUrl = new URL(new URL(metadata.jwks_uri).pathname, metadataUrl);
try {
  const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(jwksUrl), {
    issuer: metadata.issuer,
    audience,
    typ,
    algorithms: ["ES256"],
  });
  console.log(JSON.stringify({ header: protectedHeader, payload }));
  process.exit(0);
} catch (e) {
  console.log(`refused: ${e.code ?? e.name}`);
  process.exit(1);
}
