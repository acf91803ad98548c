import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { dateTime, num } from '../lib/format';

/** uPlot drawn into a div that follows its container's width. */
function UPlot({ options, data, height = 260 }: { options: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const plot = new uPlot({ ...options, width: Math.max(280, el.clientWidth), height }, data, el);
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [options, data, height]);
  return <div ref={ref} className="uplot-host" aria-hidden="true" />;
}

const INK = '#1d2733';
const GRID = { stroke: '#e3e8ee', width: 1 };
const AXIS = { stroke: INK, grid: GRID, ticks: GRID };

function vline(u: uPlot, x: number, color: string, text: string, dash: number[] = [], row = 0) {
  const ctx = u.ctx;
  const px = u.valToPos(x, 'x', true);
  if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.setLineDash(dash);
  ctx.lineWidth = 2 * devicePixelRatio;
  ctx.beginPath();
  ctx.moveTo(px, u.bbox.top);
  ctx.lineTo(px, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.fillStyle = color;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.fillText(text, px + 4 * devicePixelRatio, u.bbox.top + (14 + row * 16) * devicePixelRatio);
  ctx.restore();
}

export interface NtaData {
  modeNm?: number;
  meanNm?: number;
  d10Nm?: number;
  d50Nm?: number;
  d90Nm?: number;
  concentrationPerMl?: number;
  sizeDistribution?: { sizeNm: number; concentration: number }[];
}

/** The NTA size distribution from the imported file, with mode, D10/D50/D90 and the accepted mode range. */
export function NtaChart({ data, modeRange }: { data: NtaData; modeRange?: { min?: number; max?: number } }) {
  const bins = (data.sizeDistribution ?? []).filter((b) => b.sizeNm <= 600);
  const lastNonZero = bins.reduce((acc, b, i) => (b.concentration > 0 ? i : acc), 0);
  const shown = bins.slice(0, Math.min(bins.length, Math.max(lastNonZero + 10, 50)));
  const aligned: uPlot.AlignedData = [shown.map((b) => b.sizeNm), shown.map((b) => b.concentration)];
  const options: Omit<uPlot.Options, 'width' | 'height'> = {
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [
      { ...AXIS, label: 'Particle size (nm)' },
      { ...AXIS, label: 'particles/mL per bin', size: 70, values: (_u, vals) => vals.map((v) => (Math.abs(v) >= 1e4 ? v.toExponential(0) : String(v))) },
    ],
    series: [{}, { label: 'Concentration', stroke: '#0b5cad', fill: 'rgba(11,92,173,0.18)', width: 2, points: { show: false } }],
    hooks: {
      drawClear: [
        (u) => {
          if (!modeRange) return;
          const ctx = u.ctx;
          const x0 = u.valToPos(modeRange.min ?? u.scales.x.min ?? 0, 'x', true);
          const x1 = u.valToPos(modeRange.max ?? u.scales.x.max ?? 0, 'x', true);
          ctx.save();
          ctx.fillStyle = 'rgba(20,130,60,0.08)';
          ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
          ctx.restore();
        },
      ],
      draw: [
        (u) => {
          if (data.d10Nm) vline(u, data.d10Nm, '#6b7785', 'D10', [4, 4], 1);
          if (data.d90Nm) vline(u, data.d90Nm, '#6b7785', 'D90', [4, 4], 2);
          if (data.modeNm) vline(u, data.modeNm, '#b3261e', `mode ${data.modeNm} nm`);
        },
      ],
    },
  };
  return (
    <figure className="chart" data-testid="nta-chart">
      {shown.length ? <UPlot options={options} data={aligned} /> : <p className="empty">This result has no size distribution (entered by hand, not imported).</p>}
      <figcaption>
        NTA size distribution: mode {num(data.modeNm, 'nm')}, mean {num(data.meanNm, 'nm')}, D10 {num(data.d10Nm, 'nm')}, D50 {num(data.d50Nm, 'nm')}, D90 {num(data.d90Nm, 'nm')}, concentration {num(data.concentrationPerMl, 'particles/mL')}.
        {modeRange ? ` Shaded: accepted mode size ${modeRange.min ?? '…'}–${modeRange.max ?? '…'} nm.` : ''}
      </figcaption>
    </figure>
  );
}

export interface Reading {
  at: string;
  c: number;
}

export interface Span {
  start: string;
  end: string | null;
  label?: string;
}

/** Temperature over time with the alarm limit and excursions highlighted (freezer or shipment logger). */
export function TemperatureChart({ readings, alarmHighC, alarmLowC, excursions = [], title }: { readings: Reading[]; alarmHighC?: number | null; alarmLowC?: number | null; excursions?: Span[]; title: string }) {
  const sorted = [...readings].sort((a, b) => a.at.localeCompare(b.at));
  const xs = sorted.map((r) => new Date(r.at).getTime() / 1000);
  const aligned: uPlot.AlignedData = [xs, sorted.map((r) => r.c)];
  const options: Omit<uPlot.Options, 'width' | 'height'> = {
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    axes: [{ ...AXIS }, { ...AXIS, label: '°C', size: 50 }],
    scales: {
      y: {
        range: (_u, min, max) => {
          const lo = Math.min(min, alarmLowC ?? min, alarmHighC ?? min);
          const hi = Math.max(max, alarmHighC ?? max, alarmLowC ?? max);
          const pad = Math.max(2, (hi - lo) * 0.1);
          return [lo - pad, hi + pad];
        },
      },
    },
    series: [{}, { label: 'Temperature', stroke: '#0b5cad', width: 2, points: { show: sorted.length < 60 } }],
    hooks: {
      drawClear: [
        (u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = 'rgba(179,38,30,0.16)';
          for (const span of excursions) {
            const x0 = u.valToPos(new Date(span.start).getTime() / 1000, 'x', true);
            const x1 = u.valToPos(span.end ? new Date(span.end).getTime() / 1000 : (u.scales.x.max ?? 0), 'x', true);
            ctx.fillRect(Math.max(x0, u.bbox.left), u.bbox.top, Math.max(2, Math.min(x1, u.bbox.left + u.bbox.width) - Math.max(x0, u.bbox.left)), u.bbox.height);
          }
          ctx.restore();
        },
      ],
      draw: [
        (u) => {
          const ctx = u.ctx;
          for (const [limit, text] of [[alarmHighC, 'alarm high'], [alarmLowC, 'alarm low']] as const) {
            if (limit === null || limit === undefined) continue;
            const py = u.valToPos(limit, 'y', true);
            ctx.save();
            ctx.strokeStyle = '#b3261e';
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, py);
            ctx.lineTo(u.bbox.left + u.bbox.width, py);
            ctx.stroke();
            ctx.fillStyle = '#b3261e';
            ctx.textAlign = 'left';
            ctx.textBaseline = 'alphabetic';
            ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
            ctx.fillText(`${text} ${limit} °C`, u.bbox.left + 6 * devicePixelRatio, py - 4 * devicePixelRatio);
            ctx.restore();
          }
        },
      ],
    },
  };
  const max = sorted.reduce((m, r) => Math.max(m, r.c), -Infinity);
  return (
    <figure className="chart" data-testid="temperature-chart">
      {sorted.length ? <UPlot options={options} data={aligned} /> : <p className="empty">No readings yet.</p>}
      <figcaption>
        {title}: {sorted.length} readings{sorted.length ? ` from ${dateTime(sorted[0].at)} to ${dateTime(sorted[sorted.length - 1].at)}, highest ${num(max, '°C')}` : ''}.
        {alarmHighC !== undefined && alarmHighC !== null ? ` Dashed line: alarm limit ${alarmHighC} °C.` : ''}
        {excursions.length ? ` Shaded: ${excursions.length} excursion${excursions.length > 1 ? 's' : ''}.` : ' No excursions.'}
      </figcaption>
    </figure>
  );
}

export default { NtaChart, TemperatureChart };
