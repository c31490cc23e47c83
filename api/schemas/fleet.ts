import { Type } from '@sinclair/typebox';
import { HERD_JOBS_LISTED } from '../../jobs/fleet';
import { Timestamp } from './common';

/** The fleet view's window is at least a minute and at most an hour. */
const FLEET_WINDOW = Object.freeze({ minSeconds: 60, maxSeconds: 3600 });

/** `GET /api/fleet/fires`: the window [from, from + seconds). */
export const FleetFiresQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ format: 'date-time', description: 'Start of the window (inclusive, whole second); default now.' }),
    ),
    seconds: Type.Integer({
      minimum: FLEET_WINDOW.minSeconds,
      maximum: FLEET_WINDOW.maxSeconds,
      default: FLEET_WINDOW.maxSeconds,
      description: 'Length of the window, 60 to 3600 seconds; default 3600 (the next hour).',
    }),
    service: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: "Only this service's jobs (a service must name itself); default every job (admins).",
      }),
    ),
  },
  { additionalProperties: false },
);

/** What `GET /api/fleet/fires` answers (jobs/fleet.ts `FleetFires`, times as ISO-8601). */
export const FleetFiresSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  /** Scheduled runs Temporal starts per second (`SCHEDULER_TEMPORAL_START_RATE`). */
  startRate: Type.Number(),
  /** The jobs that will run in the window (enabled, not paused), counted. */
  jobs: Type.Integer(),
  /** Jobs whose stored cron is no longer in the dialect: not counted. */
  unplanned: Type.Integer(),
  totalFires: Type.Integer(),
  /** Each second in which some job fires, ascending; seconds without fires are left out. */
  seconds: Type.Array(Type.Object({ at: Timestamp, count: Type.Integer() })),
  /** Seconds in which more jobs fire than `startRate`, ascending. */
  herds: Type.Array(
    Type.Object({
      at: Timestamp,
      count: Type.Integer(),
      /** The last of them starts at most this much late: count / startRate seconds. */
      expectedDelaySeconds: Type.Number(),
      jobs: Type.Array(Type.String(), { maxItems: HERD_JOBS_LISTED, description: 'The first of its jobs, by name.' }),
      more: Type.Integer({ description: 'How many more jobs fire in that second.' }),
    }),
  ),
});
