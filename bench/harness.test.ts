import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { nominalMillisOf } from './bullmq-worker';
import { cpuSecondsOf } from './harness';

describe('cpuSecondsOf', () => {
  it("counts the CPU of a process's live children, not only its own", async () => {
    // A shell whose child burns one second of CPU (its own measure, so a busy machine only makes it slower), says so,
    // then waits for its stdin to close; the shell itself does nothing. `; true` keeps sh from exec'ing the child.
    const burn =
      'const s = process.cpuUsage(); while (process.cpuUsage(s).user + process.cpuUsage(s).system < 1e6); ' +
      'console.log("spun"); process.stdin.resume();';
    const shell = spawn('sh', ['-c', `${process.execPath} -e '${burn}'; true`]);
    try {
      const [line] = (await once(shell.stdout, 'data')) as [Buffer];
      expect(line.toString()).toContain('spun');
      expect(cpuSecondsOf(shell.pid!)).toBeGreaterThan(0.9);
    } finally {
      shell.stdin.end();
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
