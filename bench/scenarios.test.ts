import { spreadOffsetOf } from '../jobs/spread';
import type { Arrival } from './harness';
import { herdFigures } from './scenarios';

const from = Date.parse('2026-11-30T09:00:00Z');
const call = (job: string, scheduledAt: number, at: number): Arrival => ({
  job,
  executionId: `${job}@${scheduledAt}`,
  at,
  scheduledAt,
  status: 200,
});

describe('herdFigures', () => {
  const names = ['herd-0000', 'herd-0001'];
  const due = (name: string, minute: number) => from + minute * 60_000 + spreadOffsetOf(name, 59) * 1000;

  it("measures lateness from each job's spread-shifted time and counts what never came", () => {
    const figures = herdFigures(
      [
        call('herd-0000', due('herd-0000', 0), due('herd-0000', 0) + 100),
        call('herd-0001', due('herd-0001', 0), due('herd-0001', 0) + 300),
        call('herd-0000', due('herd-0000', 1), due('herd-0000', 1) + 200),
      ],
      names,
      { spreadSeconds: 59, minutes: 2 },
      from,
    );
    expect(figures).toMatchObject({ expected: 4, arrivedOnce: 3, missed: 1, duplicates: 0, scheduledAtOff: 0 });
    expect(figures.latenessMs).toMatchObject({ p50: 200, max: 300 });
    // herd-0000 is due 13 s into the minute, herd-0001 23 s: first arrival at 13.1 s, last at 23.3 s
    expect(figures.arrivalSpreadMs).toEqual([10_200, 0]);
  });

  it('counts a repeated call once, and a call carrying the unshifted time apart', () => {
    const figures = herdFigures(
      [
        call('herd-0000', due('herd-0000', 0), due('herd-0000', 0) + 100),
        call('herd-0000', due('herd-0000', 0), due('herd-0000', 0) + 900),
        call('herd-0001', from, from + 10),
      ],
      names,
      { spreadSeconds: 59, minutes: 1 },
      from,
    );
    expect(figures).toMatchObject({ expected: 2, arrivedOnce: 1, duplicates: 1, scheduledAtOff: 1 });
    expect(figures.latenessMs.max).toBe(100);
  });
});
