import type { SessionEvent } from '@longhand/protocol';
import { useMemo } from 'react';
import { formatCount, formatMoney } from '../../ui/format.js';
import { useWidth } from '../../ui/use-width.js';
import { usageSeries } from './usage-series.js';

const HEIGHT = 260;
const PAD = { top: 16, right: 64, bottom: 36, left: 64 };

/** Round numbers for axis ticks: 0, 250, 500, … up to at least `max`. */
function ticks(max: number, count = 4): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.001; v += step) out.push(v);
  if (out[out.length - 1]! < max) out.push(out[out.length - 1]! + step);
  return out;
}

function clock(t: number, span: number): string {
  const date = new Date(t);
  return span > 36 * 3600_000 ? date.toLocaleDateString([], { month: 'short', day: 'numeric' }) : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', ...(span < 300_000 ? { second: '2-digit' } : {}) });
}

/**
 * Tokens and cost over the life of a session, drawn as SVG: the running total of tokens (line),
 * each model request's tokens (bars) and the cost reported by `session.usage` (step line, right
 * axis). The numbers are also in a table for screen readers and copy-paste.
 */
export function UsageChart({ events }: { events: readonly SessionEvent[] }) {
  const series = useMemo(() => usageSeries(events), [events]);
  const [ref, width] = useWidth<HTMLDivElement>();
  const { requests, cost, totals } = series;
  const times = [...requests.map((p) => p.t), ...cost.map((p) => p.t)];
  const summary = (
    <dl className="stats">
      <div><dt>Model requests</dt><dd>{totals.requests}</dd></div>
      <div><dt>Input tokens</dt><dd>{formatCount(totals.input)}</dd></div>
      <div><dt>Output tokens</dt><dd>{formatCount(totals.output)}</dd></div>
      <div><dt>Cache read</dt><dd>{formatCount(totals.cacheRead)}</dd></div>
      <div><dt>Cache write</dt><dd>{formatCount(totals.cacheWrite)}</dd></div>
      <div><dt>Cost so far</dt><dd>{formatMoney({ amount: String(totals.cents), currency: 'USD' })}</dd></div>
    </dl>
  );
  if (times.length === 0) {
    return (
      <div className="usage" ref={ref}>
        {summary}
        <p className="empty">No model requests yet: the chart fills in as the agent works.</p>
      </div>
    );
  }
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  // A little room on both sides, so the first and last points are not on the axes.
  const pad = Math.max(500, (t1 - t0) * 0.02);
  t0 -= pad;
  t1 += pad;
  const innerW = Math.max(120, width - PAD.left - PAD.right);
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const maxTokens = Math.max(1, requests[requests.length - 1]?.total ?? 0);
  const tokenTicks = ticks(maxTokens);
  const tokenTop = tokenTicks[tokenTicks.length - 1]!;
  const maxCents = Math.max(1, totals.cents);
  const costTicks = ticks(maxCents);
  const costTop = costTicks[costTicks.length - 1]!;
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * innerW;
  const yTokens = (v: number) => PAD.top + innerH - (v / tokenTop) * innerH;
  const yCost = (v: number) => PAD.top + innerH - (v / costTop) * innerH;
  const tokenPath = requests.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${yTokens(p.total).toFixed(1)}`).join(' ');
  let costPath = '';
  cost.forEach((p, i) => {
    costPath += i === 0 ? `M${x(p.t).toFixed(1)},${yCost(p.cents).toFixed(1)}` : ` H${x(p.t).toFixed(1)} V${yCost(p.cents).toFixed(1)}`;
  });
  const barWidth = Math.max(1.5, Math.min(8, innerW / Math.max(1, requests.length) - 1));
  // As many time labels as fit: about one per 130 px.
  const xCount = Math.max(2, Math.min(5, Math.floor(innerW / 130) + 1));
  const xTicks = Array.from({ length: xCount }, (_, i) => t0 + (i / (xCount - 1)) * (t1 - t0));
  return (
    <div className="usage" ref={ref}>
      {summary}
      <div className="legend" aria-hidden="true">
        <span className="key key-tokens">Total tokens</span>
        <span className="key key-request">Tokens per request</span>
        <span className="key key-cost">Cost (right axis)</span>
      </div>
      <svg width={width} height={HEIGHT} role="img" aria-labelledby="usage-title usage-desc" className="chart">
        <title id="usage-title">Tokens and cost over time</title>
        <desc id="usage-desc">
          {`${totals.requests} model requests used ${totals.input + totals.output + totals.cacheRead + totals.cacheWrite} tokens in all; the session has cost ${formatMoney({ amount: String(totals.cents), currency: 'USD' })} so far.`}
        </desc>
        {tokenTicks.map((v) => (
          <g key={`t${v}`}>
            <line x1={PAD.left} x2={PAD.left + innerW} y1={yTokens(v)} y2={yTokens(v)} className="grid" />
            <text x={PAD.left - 8} y={yTokens(v)} className="tick" textAnchor="end" dominantBaseline="middle">
              {formatCount(v)}
            </text>
          </g>
        ))}
        {costTicks.map((v) => (
          <text key={`c${v}`} x={PAD.left + innerW + 8} y={yCost(v)} className="tick cost" dominantBaseline="middle">
            {formatMoney({ amount: String(Math.round(v)), currency: 'USD' })}
          </text>
        ))}
        {xTicks.map((t, i) => (
          <text key={`x${i}`} x={x(t)} y={HEIGHT - 12} className="tick" textAnchor={i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle'}>
            {clock(t, t1 - t0)}
          </text>
        ))}
        {requests.map((p, i) => {
          const size = p.input + p.output + p.cacheRead + p.cacheWrite;
          return <rect key={i} x={x(p.t) - barWidth / 2} y={yTokens(size)} width={barWidth} height={Math.max(0, PAD.top + innerH - yTokens(size))} className="bar" />;
        })}
        {tokenPath && <path d={tokenPath} className="line tokens" />}
        {costPath && <path d={`${costPath} H${x(t1).toFixed(1)}`} className="line cost" />}
      </svg>
      <details className="data-table">
        <summary>Show the numbers</summary>
        <table>
          <caption className="visually-hidden">Tokens per model request</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Input</th>
              <th scope="col">Output</th>
              <th scope="col">Cache read</th>
              <th scope="col">Cache write</th>
              <th scope="col">Running total</th>
            </tr>
          </thead>
          <tbody>
            {requests.slice(-200).map((p, i) => (
              <tr key={i}>
                <td>{new Date(p.t).toLocaleTimeString()}</td>
                <td>{p.input}</td>
                <td>{p.output}</td>
                <td>{p.cacheRead}</td>
                <td>{p.cacheWrite}</td>
                <td>{p.total}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
