/** Charts drawn on the server as SVG: no client charting library. Each has a title and a
 * description (role="img" with aria-labelledby); pages show the same data as a table beside it. */

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char]!);

export interface Bar {
  label: string;
  value: number | null;
  /** a reference mark on the same bar (e.g. the national mean) */
  marker?: number | null;
  className?: string;
}

let chartCounter = 0;
function chartIds(): { title: string; desc: string } {
  chartCounter = (chartCounter + 1) % 1_000_000;
  return { title: `chart-title-${chartCounter}`, desc: `chart-desc-${chartCounter}` };
}

function frame(width: number, height: number, title: string, description: string, body: string): string {
  const ids = chartIds();
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${ids.title} ${ids.desc}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${ids.title}">${escapeXml(title)}</title><desc id="${ids.desc}">${escapeXml(description)}</desc>${body}</svg>`;
}

/** Horizontal bars on a 0..max scale, with an optional marker and a vertical reference line. */
export function barChart(options: { title: string; description: string; bars: Bar[]; max?: number; reference?: { value: number; label: string }; format: (value: number) => string }): string {
  const max = options.max ?? 100;
  const labelWidth = 230;
  const plotWidth = 420;
  const rowHeight = 30;
  const width = labelWidth + plotWidth + 70;
  const height = options.bars.length * rowHeight + 30;
  const x = (value: number) => labelWidth + (Math.max(0, Math.min(max, value)) / max) * plotWidth;
  let body = `<g font-family="system-ui, sans-serif" font-size="13" fill="#1b1f24">`;
  options.bars.forEach((bar, index) => {
    const y = index * rowHeight + 8;
    body += `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(bar.label.length > 30 ? bar.label.slice(0, 29) + '…' : bar.label)}</text>`;
    body += `<rect x="${labelWidth}" y="${y + 2}" width="${plotWidth}" height="18" fill="#eaeef2"/>`;
    if (bar.value !== null) {
      body += `<rect x="${labelWidth}" y="${y + 2}" width="${(x(bar.value) - labelWidth).toFixed(1)}" height="18" fill="#0b5cad"/>`;
      body += `<text x="${x(bar.value) + 6}" y="${y + 15}">${escapeXml(options.format(bar.value))}</text>`;
    }
    if (bar.marker !== undefined && bar.marker !== null) {
      body += `<rect x="${(x(bar.marker) - 1.5).toFixed(1)}" y="${y - 1}" width="3" height="24" fill="#bf3989"/>`;
    }
  });
  if (options.reference) {
    const rx = x(options.reference.value).toFixed(1);
    body += `<line x1="${rx}" x2="${rx}" y1="4" y2="${height - 22}" stroke="#bf3989" stroke-dasharray="4 3" stroke-width="2"/>`;
    body += `<text x="${rx}" y="${height - 6}" text-anchor="middle" fill="#bf3989">${escapeXml(options.reference.label)}</text>`;
  }
  body += '</g>';
  return frame(width, height, options.title, options.description, body);
}

/** A line through points in order (e.g. the index across survey rounds), on 0..100. */
/** The top of a count axis: four equal steps of 1, 2 or 5 × 10^k that reach the largest value. */
export function countAxisTop(largest: number): number {
  const wanted = Math.max(1, largest) / 4;
  const power = 10 ** Math.floor(Math.log10(wanted));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= wanted)!;
  return Math.max(4, step * 4);
}

/** `top`: the value at the top of the axis; indexes are 0–100 (the default), counts use countAxisTop. */
export function lineChart(options: { title: string; description: string; points: { label: string; value: number | null }[]; format: (value: number) => string; top?: number }): string {
  const width = 640;
  const height = 240;
  const axisTop = options.top ?? 100;
  const ticks = [0, 1, 2, 3, 4].map((quarter) => (axisTop * quarter) / 4);
  const tickLabel = (tick: number) => (options.top === undefined ? String(tick) : options.format(tick));
  // room for the longest tick label ("20.000") left of the axis
  const left = Math.max(40, 12 + 7 * Math.max(...ticks.map((tick) => tickLabel(tick).length)));
  const right = 20;
  const top = 20;
  const bottom = 40;
  const step = options.points.length > 1 ? (width - left - right) / (options.points.length - 1) : 0;
  const x = (index: number) => left + (options.points.length > 1 ? index * step : (width - left - right) / 2);
  const y = (value: number) => top + (1 - value / axisTop) * (height - top - bottom);
  let body = `<g font-family="system-ui, sans-serif" font-size="12" fill="#1b1f24">`;
  for (const tick of ticks) {
    body += `<line x1="${left}" x2="${width - right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#d0d7de"/><text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${escapeXml(tickLabel(tick))}</text>`;
  }
  const defined = options.points.map((point, index) => ({ ...point, index })).filter((point) => point.value !== null);
  if (defined.length > 1) {
    body += `<polyline fill="none" stroke="#0b5cad" stroke-width="2.5" points="${defined.map((point) => `${x(point.index).toFixed(1)},${y(point.value!).toFixed(1)}`).join(' ')}"/>`;
  }
  for (const point of defined) {
    body += `<circle cx="${x(point.index).toFixed(1)}" cy="${y(point.value!).toFixed(1)}" r="4" fill="#0b5cad"/>`;
    body += `<text x="${x(point.index).toFixed(1)}" y="${(y(point.value!) - 9).toFixed(1)}" text-anchor="middle">${escapeXml(options.format(point.value!))}</text>`;
  }
  // the labels at the ends are aligned inwards, so a long one (a survey code) is not cut off
  const last = options.points.length - 1;
  const anchorOf = (index: number) => (last === 0 ? 'middle' : index === 0 ? 'start' : index === last ? 'end' : 'middle');
  options.points.forEach((point, index) => {
    body += `<text x="${x(index).toFixed(1)}" y="${height - 14}" text-anchor="${anchorOf(index)}">${escapeXml(point.label)}</text>`;
  });
  body += '</g>';
  return frame(width, height, options.title, options.description, body);
}
