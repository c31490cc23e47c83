import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { ExecutionView } from './api';
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
 * Run durations over time (uPlot), one dot per ended run coloured by its outcome. The figure's caption says in words
 * what the dots show, for those who cannot see them.
 */
export function DurationChart({ runs, p50, p95 }: { runs: ExecutionView[]; p50: number | null; p95: number | null }) {
  const ended = runs
    .filter((r) => r.durationMs !== null && r.status !== 'running')
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [
    ended.map((r) => Date.parse(r.startedAt) / 1000),
    ...OUTCOMES.map((o) => ended.map((r) => (o.match(r.status) ? (r.durationMs ?? 0) / 1000 : null))),
  ];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = new uPlot(
      {
        width: Math.max(el.clientWidth, 200),
        height: HEIGHT,
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
      el,
    );
    plot.current = chart;
    chart.setScale('x', spanOf(data[0]));
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
    plot.current?.setScale('x', spanOf(data[0]));
  }, [JSON.stringify(data)]);

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
