/**
 * A small line chart drawn as SVG: a few series over the same sample times, a y axis from 0 to a
 * rounded maximum, the latest value of each series in the legend. Hand-written rather than a chart
 * library: the monitor page needs lines over a few hundred points, nothing more.
 */
export interface Series {
  name: string;
  color: string;
  /** null: no value for that sample (the first sample has no rate yet). */
  values: (number | null)[];
}

const W = 600;
const H = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

/** 1, 2 or 5 times a power of ten, at least `v` (and at least 1). */
function niceMax(v: number): number {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k`;
  return v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(2);
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function LineChart(props: { title: string; unit: string; times: number[]; series: Series[]; testid?: string }) {
  const n = props.times.length;
  const max = niceMax(Math.max(0, ...props.series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * (W - PAD.left - PAD.right));
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const path = (values: (number | null)[]) => {
    let d = "";
    let pen = false;
    values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  return (
    <figure class="chart" data-testid={props.testid}>
      <figcaption>
        <strong>{props.title}</strong> <span class="muted">({props.unit})</span>
        {props.series.map((s) => {
          const last = [...s.values].reverse().find((v) => v !== null);
          return <span class="legend" style={{ color: s.color }} data-series={s.name}>{s.name}: {last === undefined ? "–" : fmt(last as number)}</span>;
        })}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
        {[0, 0.5, 1].map((f) => (
          <g>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} class="grid" />
            <text x={PAD.left - 4} y={y(max * f) + 4} text-anchor="end">{fmt(max * f)}</text>
          </g>
        ))}
        {n > 0 && <text x={PAD.left} y={H - 4}>{clock(props.times[0])}</text>}
        {n > 1 && <text x={W - PAD.right} y={H - 4} text-anchor="end">{clock(props.times[n - 1])}</text>}
        {props.series.map((s) => <path d={path(s.values)} stroke={s.color} fill="none" stroke-width="1.5" />)}
      </svg>
    </figure>
  );
}
