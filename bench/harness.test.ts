import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { nominalMillisOf } from './bullmq-worker';
import { cpuSecondsOf } from './harness';

describe('cpuSecondsOf', () => {
  it("counts the CPU of a process's live children, not only its own", async () => {
    // a shell whose child spins for a second: the shell itself does nothing
    const shell = spawn('sh', ['-c', `${process.execPath} -e "const t = Date.now(); while (Date.now() - t < 1000);"`]);
    try {
      await new Promise((r) => setTimeout(r, 900));
      expect(cpuSecondsOf(shell.pid!)).toBeGreaterThan(0.4);
    } finally {
      await once(shell, 'exit');
    }
  });

  it('is 0 for a process that is gone', () => {
    expect(cpuSecondsOf(2 ** 22 + 7)).toBe(0);
  });
});

describe('nominalMillisOf', () => {
  it("reads a job scheduler's job's nominal time from its id", () => {
    const job = { id: 'repeat:peer-3:1764495000000', opts: { delay: 1234 }, timestamp: 1764494998000 };
    expect(nominalMillisOf(job)).toBe(1764495000000);
  });

  it('falls back to the time it was delayed to', () => {
    expect(nominalMillisOf({ id: 'custom', opts: { delay: 2000 }, timestamp: 1764494998000 })).toBe(1764495000000);
  });
});
