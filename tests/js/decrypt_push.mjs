// Decrypts a Web Push message body with an independent implementation (npm http_ece, the library
// web-push uses), as a browser would: reads JSON {body, ua_private, ua_public, auth} (base64url)
// on stdin, prints the plaintext. Exit 1 with the error when it cannot decrypt.
import ece from 'http_ece';
import crypto from 'node:crypto';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { body, ua_private, ua_public, auth } = JSON.parse(input);
try {
  const ua = crypto.createECDH('prime256v1');
  ua.setPrivateKey(Buffer.from(ua_private, 'base64url'));
  if (ua.getPublicKey('base64url') !== ua_public) throw new Error('ua_private does not match ua_public');
  const plaintext = ece.decrypt(Buffer.from(body, 'base64url'), {
    version: 'aes128gcm',
    privateKey: ua,
    authSecret: auth,
  });
  process.stdout.write(plaintext.toString('utf8'));
} catch (e) {
  process.stdout.write('error: ' + e.message);
  process.exit(1);
}
