/**
 * The daylight-saving property test's cases: zones with every kind of offset change, crons of every kind, and the
 * changes of 2025–2027. Shared by the planner's unit test and the test against Temporal.
 */
import { offsetChanges, offsetsAround, wallAt, type OracleCron, type Wall } from './dst-oracle';

/**
 * Zones covering: one-hour changes in both hemispheres and on both sides of UTC; 30-minute (Lord Howe) and
 * two-hour (Troll) changes; non-whole-hour offsets with DST (St John's, Adelaide, Chatham) and without (Kolkata,
 * Kathmandu); changes at midnight (Havana, Santiago, Asunción, Cairo); moving rules (Gaza, Casablanca's Ramadan
 * change, Jerusalem's Friday change); "negative" DST (Dublin); zones without DST; and UTC-like zones.
 */
export const DST_ZONES = [
  'Europe/Berlin',
  'Europe/London',
  'Europe/Dublin',
  'Europe/Lisbon',
  'Europe/Helsinki',
  'Europe/Moscow',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Anchorage',
  'America/Phoenix',
  'America/Halifax',
  'America/St_Johns',
  'America/Havana',
  'America/Santiago',
  'America/Asuncion',
  'America/Sao_Paulo',
  'America/Mexico_City',
  'America/Scoresbysund',
  'Pacific/Auckland',
  'Pacific/Chatham',
  'Pacific/Norfolk',
  'Australia/Sydney',
  'Australia/Adelaide',
  'Australia/Lord_Howe',
  'Australia/Brisbane',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tehran',
  'Asia/Tokyo',
  'Asia/Jerusalem',
  'Asia/Gaza',
  'Africa/Cairo',
  'Africa/Casablanca',
  'Antarctica/Troll',
  'UTC',
  'Etc/GMT+5',
] as const;

/** Crons of every kind, with predicates written by hand: sub-hourly, hourly, daily at fixed times, weekly. */
export const DST_CRONS: readonly OracleCron[] = [
  { cron: '*/15 * * * *', matches: (w) => w.minute % 15 === 0, fixed: false },
  { cron: '10,40 * * * *', matches: (w) => w.minute === 10 || w.minute === 40, fixed: false },
  { cron: '0 * * * *', matches: (w) => w.minute === 0, fixed: false },
  { cron: '30 * * * *', matches: (w) => w.minute === 30, fixed: false },
  { cron: '0 */2 * * *', matches: (w) => w.minute === 0 && w.hour % 2 === 0, fixed: false },
  { cron: '* 2 * * *', matches: (w) => w.hour === 2, fixed: false },
  { cron: '30 2 * * *', matches: (w) => w.hour === 2 && w.minute === 30, fixed: true },
  { cron: '30 1 * * *', matches: (w) => w.hour === 1 && w.minute === 30, fixed: true },
  { cron: '0,30 0-3 * * *', matches: (w) => w.hour <= 3 && w.minute % 30 === 0, fixed: true },
  { cron: '15 0 * * *', matches: (w) => w.hour === 0 && w.minute === 15, fixed: true },
  { cron: '45 23 * * *', matches: (w) => w.hour === 23 && w.minute === 45, fixed: true },
  { cron: '45 2 * * SUN', matches: (w) => w.weekday === 0 && w.hour === 2 && w.minute === 45, fixed: true },
  {
    cron: '0 3 * * 5,6',
    matches: (w) => (w.weekday === 5 || w.weekday === 6) && w.hour === 3 && w.minute === 0,
    fixed: true,
  },
];

/** A daily fixed-time cron at a wall time, with its predicate. */
function dailyAt(hour: number, minute: number): OracleCron {
  return { cron: `${minute} ${hour} * * *`, matches: (w) => w.hour === hour && w.minute === minute, fixed: true };
}

/**
 * Per zone, daily crons at the middle of each change's skipped gap and repeated span, so that every zone is tried
 * inside its own gap and repeat (which are at different wall times in different zones).
 */
export function changeCrons(zone: string, changes: readonly number[]): OracleCron[] {
  const crons = new Map<string, OracleCron>();
  for (const at of changes) {
    const { before, after } = offsetsAround(zone, at);
    // the gap's (or repeat's) wall times start at the change's wall time under the old offset
    const half = Math.abs(after - before) / 2;
    const wall: Wall = wallAt(zone, at - 60_000);
    const startMinutes = wall.hour * 60 + wall.minute + 1;
    const middle = (startMinutes + Math.floor(half)) % 1440;
    const cron = dailyAt(Math.floor(middle / 60), middle % 60);
    crons.set(cron.cron, cron);
  }
  return [...crons.values()];
}

const FIRST = Date.UTC(2025, 0, 1);
const LAST = Date.UTC(2028, 0, 1);

/** Each zone's offset changes of 2025–2027 (epoch ms), as Intl has them. */
export function changesOf(zone: string): number[] {
  return offsetChanges(zone, FIRST, LAST);
}
