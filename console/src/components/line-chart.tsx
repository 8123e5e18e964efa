/**
 * A small SVG line chart of one series over time (member count, duration). No library;
 * the numbers are also in the table next to it, so the chart is decoration for screen readers.
 */
export interface Point {
  t: number;
  v: number;
}

export function LineChart({ points, label, unit = '' }: { points: Point[]; label: string; unit?: string }) {
  const W = 320;
  const H = 120;
  const P = 28;
  if (points.length === 0) return <p class="muted">No runs yet.</p>;
  const ts = points.map((p) => p.t);
  const vs = points.map((p) => p.v);
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const [v0, v1] = [0, Math.max(...vs, 1)];
  const x = (t: number) => P + ((t - t0) / Math.max(t1 - t0, 1)) * (W - 2 * P);
  const y = (v: number) => H - P + 8 - ((v - v0) / (v1 - v0)) * (H - P - 8);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`${label}: latest ${vs[vs.length - 1]}${unit}, highest ${v1}${unit}`}>
        <line x1={P} y1={y(0)} x2={W - P} y2={y(0)} class="axis" />
        <text x={2} y={y(v1) + 4} class="tick">{v1}</text>
        <text x={2} y={y(0) + 4} class="tick">0</text>
        <path d={d} class="series" />
        {points.map((p) => <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={2.5} class="dot" />)}
      </svg>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
