import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A reverse proxy like the seed's ingress: `/prefix/…` is forwarded to `upstream` as `/…`; anything else is a 404. */
export interface PrefixProxy {
  /** `http://127.0.0.1:<port>` (the prefix is not included). */
  url: string;
  close(): Promise<void>;
}

/** Starts the proxy on a loopback port; `prefix` like `/scheduler` (no trailing slash). */
export async function startPrefixProxy(upstream: string, prefix: string): Promise<PrefixProxy> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not under the prefix');
      return;
    }
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: url.slice(prefix.length) || '/',
        headers: { ...req.headers, host: target.host, 'x-forwarded-prefix': prefix },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.headersSent || res.writeHead(502).end());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
