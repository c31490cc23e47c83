import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { freeLoopbackPort } from '../devserver/dev-server';
import { sleep, stopChild } from './harness';

/** Debian's Redis, where `apt-get install redis-server` puts it. */
const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

/** Thrown by {@link startRedis} when redis-server is not installed or does not answer. */
export class RedisStartError extends Error {
  override readonly name = 'RedisStartError';
}

/**
 * The redis-server binary's path.
 * @throws {@link RedisStartError} naming the package to install when it is missing.
 */
export function requireRedisServer(): string {
  if (!existsSync(REDIS_SERVER)) {
    throw new RedisStartError(`${REDIS_SERVER} not found: apt-get install redis-server (or set REDIS_SERVER_PATH)`);
  }
  return REDIS_SERVER;
}

export interface RedisServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Answers true once a PING on 127.0.0.1:`port` is answered PONG. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.end();
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/**
 * Starts a Redis of the bench's own on a free loopback port, with no persistence (no RDB snapshots, no AOF) and its
 * log in `dir/redis.log`; resolves once it answers.
 * @throws {@link RedisStartError} if redis-server is missing (one line naming the package) or not ready in 10 s.
 */
export async function startRedis(dir: string): Promise<RedisServer> {
  const server = requireRedisServer();
  const port = await freeLoopbackPort();
  const child = spawn(
    server,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      path.join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  const stop = () => stopChild(child);
  const deadline = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new RedisStartError(`redis-server on port ${port} did not answer; see ${path.join(dir, 'redis.log')}`);
    }
    await sleep(100);
  }
  return { port, pid: child.pid!, stop };
}
