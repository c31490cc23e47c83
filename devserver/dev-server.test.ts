import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lostPortRace } from './dev-server';

const BIND = (port: number) =>
  `level=ERROR msg="failed starting server: failed listening for HTTP API on 127.0.0.1:${port}: listen tcp 127.0.0.1:${port}: bind: address already in use"\n`;

describe('a dev server start that lost a race for a port', () => {
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), 'dev-server-')), 'temporal.log');
  const opts = { port: 7233, uiPort: null, namespace: 'default', logFile };

  test("is one that failed binding a port the CLI picked, logged since the start; not one of ours, nor an earlier start's", () => {
    writeFileSync(logFile, BIND(34729));
    expect(lostPortRace(opts, 0)).toBe(true);
    const since = BIND(34729).length;
    appendFileSync(logFile, 'level=ERROR msg="failed starting server: bad flag"\n');
    expect(lostPortRace(opts, since)).toBe(false); // this start failed otherwise
    appendFileSync(logFile, BIND(7233));
    expect(lostPortRace(opts, since)).toBe(false); // our own port: a real conflict, not a race
    expect(lostPortRace({ ...opts, logFile: undefined }, 0)).toBe(false); // no log: nothing to tell by
  });
});
