// What Node's own HTTP parser (llhttp, through node:http) makes of raw request bytes: the
// request boundaries it sees. Used by tests/runtime/http/request_framing_test.cc as an
// independent reading to compare Machi's parser with (the differential smuggling check).
//
// Usage: node http_boundaries.mjs FILE…  — prints one JSON line per file, in order:
//   {"file": …, "requests": [{"method", "url", "body" (base64), "complete"}…], "error": code|null}
// `complete` is false for a request whose body never ended; `error` is llhttp's error code for
// the bytes after the last request it took (a 400 from Node), or null.
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

function boundaries(bytes) {
  return new Promise((resolve) => {
    const seen = { requests: [], error: null };
    const server = createServer({ requireHostHeader: false, keepAliveTimeout: 2000 });
    const onRequest = (req, res) => {
      const entry = { method: req.method, url: req.url, body: [], complete: false };
      seen.requests.push(entry);
      req.on('data', (chunk) => entry.body.push(chunk));
      req.on('end', () => {
        entry.complete = true;
        res.end('ok');
      });
    };
    server.on('request', onRequest);
    server.on('checkContinue', onRequest);
    server.on('clientError', (err, socket) => {
      if (!seen.error) seen.error = err.code || String(err);
      socket.destroy();
    });
    server.listen(0, '127.0.0.1', () => {
      const socket = connect(server.address().port, '127.0.0.1');
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve(seen));
      };
      const timer = setTimeout(finish, 1500);
      socket.on('data', () => {});
      socket.on('error', finish);
      socket.on('close', finish);
      socket.end(bytes);
    });
  });
}

for (const file of process.argv.slice(2)) {
  const seen = await boundaries(readFileSync(file));
  const requests = seen.requests.map((r) => ({
    method: r.method,
    url: r.url,
    body: Buffer.concat(r.body).toString('base64'),
    complete: r.complete,
  }));
  process.stdout.write(JSON.stringify({ file, requests, error: seen.error }) + '\n');
}
