import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';

/**
 * What a lax proxy or framework makes of a request path: `times` rounds of percent-decoding (UTF-8 where the bytes
 * are UTF-8, Latin-1 where not), `\` read as `/`, `;parameters` dropped from each segment, `.`/`..` resolved.
 */
export function laxResolve(path: string, times: number): string {
  let decoded = path;
  for (let i = 0; i < times; i++) {
    decoded = decoded.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return Buffer.from(run.replace(/%/g, ''), 'hex').toString('latin1');
      }
    });
  }
  const segments = decoded.replace(/\\/g, '/').split('/');
  return posix.normalize(segments.map((s) => s.replace(/;.*$/, '')).join('/'));
}

/** Whether `path` is `prefix` itself or below it. */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** A listener that answers 200 to anything and keeps the raw path (no query) of every request it received. */
export interface Gateway {
  url: string;
  paths: string[];
  close(): Promise<void>;
}

/** Starts a {@link Gateway} on 127.0.0.1 at a free port. */
export async function startGateway(): Promise<Gateway> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push((req.url ?? '').split('?')[0] ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
