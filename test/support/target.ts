import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One scripted answer; the last one of a path repeats forever. */
export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface ReceivedCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown> | null;
  at: number;
  /** The status the target answered (or will answer, for a delayed answer). */
  status: number;
}

/** A real HTTP service for the scheduler to call: scripted answers per path, every request recorded. */
export interface Target {
  url: string;
  answer(path: string, answers: Answer[]): void;
  calls(path?: string): ReceivedCall[];
  /** Resolves once `path` has received `count` calls. */
  waitForCalls(path: string, count: number, timeoutMs?: number): Promise<ReceivedCall[]>;
  /** Stops listening (connections are refused) until {@link up}; what it received is kept. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const scripts = new Map<string, Answer[]>();
  const received: ReceivedCall[] = [];
  const pending = new Set<NodeJS.Timeout>(); // delayed answers, cleared on close so nothing outlives the test
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | null = null;
      try {
        json = body ? (JSON.parse(body) as Record<string, unknown>) : null;
      } catch {
        json = null;
      }
      const script = scripts.get(path) ?? [];
      const answer = (script.length > 1 ? script.shift() : script[0]) ?? { status: 200, body: '{"ok":true}' };
      const at = Date.now();
      received.push({ method: req.method ?? '', path, headers: req.headers, body, json, at, status: answer.status });
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) pending.add(setTimeout(send, answer.delayMs));
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const calls = (path?: string) => received.filter((c) => path === undefined || c.path === path);
  const close = () =>
    new Promise<void>((resolve) => {
      for (const timer of pending) clearTimeout(timer);
      server.closeAllConnections();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}`,
    answer: (path, answers) => scripts.set(path, [...answers]),
    calls,
    async waitForCalls(path, count, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (calls(path).length < count) {
        if (Date.now() > deadline)
          throw new Error(`${path}: ${calls(path).length} of ${count} calls after ${timeoutMs} ms`);
        await sleep(50);
      }
      return calls(path);
    },
    down: () => close(),
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close,
  };
}

/** Polls `probe` until it returns a value that `done` accepts. */
export async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}
