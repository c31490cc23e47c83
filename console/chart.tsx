import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { ExecutionView, FleetFires } from './api';
import { formatDuration } from './format';

/** Outcomes drawn, each in its colour (the same as the status words' in style.css). */
const OUTCOMES = [
  { label: 'succeeded', colour: '#1a7f37', match: (s: string) => s === 'succeeded' },
  { label: 'failed', colour: '#cf222e', match: (s: string) => s === 'failed' },
  {
    label: 'timed out, cancelled or terminated',
    colour: '#9a6700',
    match: (s: string) => s !== 'succeeded' && s !== 'failed',
  },
] as const;

const HEIGHT = 220;
/** Room either side of the runs on the time axis, in seconds: a lone run sits in the middle of two hours. */
const X_MARGIN_S = 3600;

/** The time axis for run start times (seconds since the epoch): from the first to the last, with a margin. */
function spanOf(times: ArrayLike<number>): { min: number; max: number } {
  const now = Date.now() / 1000;
  const first = times[0] ?? now;
  const last = times[times.length - 1] ?? now;
  const margin = Math.max(X_MARGIN_S, (last - first) * 0.05);
  return { min: first - margin, max: last + margin };
}

/**
 * A uPlot chart drawn in the box the returned ref is put on: made once from `options` at the box's width and
 * {@link HEIGHT}, resized with the box, destroyed with it. A change of `data` replaces the chart's data; `onData`
 * runs after every data it is given (e.g. to set a scale uPlot would not).
 */
function useUplot(
  options: Omit<uPlot.Options, 'width' | 'height'>,
  data: uPlot.AlignedData,
  onData?: (chart: uPlot) => void,
) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = new uPlot({ ...options, width: Math.max(el.clientWidth, 200), height: HEIGHT }, data, el);
    plot.current = chart;
    onData?.(chart);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    if (!plot.current) return;
    plot.current.setData(data);
    onData?.(plot.current);
  }, [JSON.stringify(data)]);
  return box;
}

/**
 * Run durations over time (uPlot), one dot per ended run coloured by its outcome. The figure's caption says in words
 * what the dots show, for those who cannot see them.
 */
export function DurationChart({ runs, p50, p95 }: { runs: ExecutionView[]; p50: number | null; p95: number | null }) {
  const ended = runs
    .filter((r) => r.durationMs !== null && r.status !== 'running')
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const data: uPlot.AlignedData = [
    ended.map((r) => Date.parse(r.startedAt) / 1000),
    ...OUTCOMES.map((o) => ended.map((r) => (o.match(r.status) ? (r.durationMs ?? 0) / 1000 : null))),
  ];

  const box = useUplot(
    {
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: true, auto: false }, // set from the runs' times below: uPlot's own span for one run is years
        y: { range: (_u, _min, max) => [0, Math.max(max * 1.1, 0.01)] },
      },
      axes: [{}, { label: 'seconds', size: 50 }],
      series: [
        {},
        ...OUTCOMES.map((o) => ({
          label: o.label,
          stroke: o.colour,
          paths: () => null,
          points: { show: true, size: 8, fill: o.colour, stroke: o.colour },
        })),
      ],
    },
    data,
    (chart) => chart.setScale('x', spanOf(data[0])),
  );

  const counts = OUTCOMES.map((o) => `${ended.filter((r) => o.match(r.status)).length} ${o.label}`).join(', ');
  return (
    <figure class="chart">
      <div ref={box} aria-hidden="true" />
      <figcaption>
        Durations of the {ended.length} ended run{ended.length === 1 ? '' : 's'} on this page ({counts})
        {p50 !== null &&
          p95 !== null &&
          `; over the job's 20 latest runs p50 ${formatDuration(p50)}, p95 ${formatDuration(p95)}`}
        .
        <ul class="legend">
          {OUTCOMES.map((o) => (
            <li key={o.label}>
              <span class={`dot dot-${o.label.split(' ')[0]}`} />
              {o.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

/** The fleet chart's colours: fires within the start rate, and a minute holding a herd (more than it). */
const FLEET_COLOURS = { fires: '#0969da', herd: '#cf222e', rate: '#57606a' } as const;

/**
 * The busiest second of each minute of the fleet's window (uPlot bars: a minute whose busiest second exceeds the
 * start rate drawn as a herd), with the start rate as a line. The caption says the same in words.
 */
export function FleetChart({ fleet }: { fleet: FleetFires }) {
  const from = Date.parse(fleet.from) / 1000;
  const minutes = Math.ceil((Date.parse(fleet.to) / 1000 - from) / 60);
  const busiest = new Array<number>(minutes).fill(0);
  for (const { at, count } of fleet.seconds) {
    const minute = Math.floor((Date.parse(at) / 1000 - from) / 60);
    busiest[minute] = Math.max(busiest[minute] ?? 0, count);
  }
  const data: uPlot.AlignedData = [
    busiest.map((_, i) => from + i * 60),
    busiest.map((n) => (n > 0 && n <= fleet.startRate ? n : null)), // no bar for a minute without fires
    busiest.map((n) => (n > fleet.startRate ? n : null)),
    busiest.map(() => fleet.startRate),
  ];

  const bars = uPlot.paths.bars!({ size: [0.8, 12] });
  const box = useUplot(
    {
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.1, 1)] } },
      axes: [{}, { label: 'fires in its busiest second', size: 60 }],
      series: [
        {},
        {
          label: 'fires',
          fill: FLEET_COLOURS.fires,
          stroke: FLEET_COLOURS.fires,
          paths: bars,
          points: { show: false },
        },
        { label: 'herd', fill: FLEET_COLOURS.herd, stroke: FLEET_COLOURS.herd, paths: bars, points: { show: false } },
        { label: 'start rate', stroke: FLEET_COLOURS.rate, dash: [6, 4], points: { show: false } },
      ],
    },
    data,
  );

  const peak = Math.max(0, ...busiest);
  const herdMinutes = busiest.filter((n) => n > fleet.startRate).length;
  return (
    <figure class="chart fleet-chart">
      <div ref={box} aria-hidden="true" />
      <figcaption>
        The busiest second of each of the {minutes} minutes: at most {peak} fire{peak === 1 ? '' : 's'} in one second;{' '}
        {herdMinutes === 0
          ? 'no minute holds a herd'
          : herdMinutes === 1
            ? '1 minute holds a herd'
            : `${herdMinutes} minutes hold a herd`}{' '}
        (more than the start rate, {fleet.startRate} a second).
        <ul class="legend">
          <li>
            <span class="dot dot-fires" />
            fires
          </li>
          <li>
            <span class="dot dot-herd" />
            herd
          </li>
          <li>
            <span class="dot dot-rate" />
            start rate
          </li>
        </ul>
      </figcaption>
    </figure>
  );
}
