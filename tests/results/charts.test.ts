import { describe, expect, it } from 'vitest';
import { countAxisTop, lineChart } from '../../server/results/charts.js';

const circles = (svg: string) => [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((match) => ({ x: Number(match[1]), y: Number(match[2]) }));
// the value axis's labels, right-aligned left of it (the labels under the chart sit at y = 226)
const axisLabels = (svg: string) =>
  [...svg.matchAll(/<text x="[\d.]+" y="(\d+(?:\.\d+)?)" text-anchor="end">([^<]*)<\/text>/g)].filter((match) => match[1] !== '226').map((match) => match[2]);

describe('the line chart', () => {
  it('puts the top of a count axis on four steps of 1, 2 or 5 × 10^k at or above the busiest day', () => {
    expect([0, 1, 3, 8, 9, 130, 20_000, 20_001].map(countAxisTop)).toEqual([4, 4, 4, 8, 20, 200, 20_000, 40_000]);
  });

  it('keeps every point of a count series inside the chart, with the axis labelled in the language\'s digits', () => {
    const svg = lineChart({
      title: 'Penyelesaian per hari',
      description: 'Jumlah kuesioner selesai per hari',
      points: [{ label: '11-30', value: 1_200 }, { label: '12-01', value: 18_750 }, { label: '12-02', value: 0 }],
      format: (value) => new Intl.NumberFormat('id-ID').format(value),
      top: countAxisTop(18_750),
    });
    const points = circles(svg);
    expect(points).toHaveLength(3);
    // the plot spans y = 20 (the top, 20.000) to 200 (zero)
    for (const point of points) expect(point.y).toBeGreaterThanOrEqual(20), expect(point.y).toBeLessThanOrEqual(200);
    expect(points[1]!.y).toBeCloseTo(20 + (1 - 18_750 / 20_000) * 180, 0);
    expect(axisLabels(svg)).toEqual(['0', '5.000', '10.000', '15.000', '20.000']);
    // the longest label fits left of the axis, which moved right for it
    expect(Number(/<line x1="(\d+)"/.exec(svg)![1])).toBeGreaterThanOrEqual(12 + 7 * '20.000'.length);
  });

  it('scales an index series 0–100 and aligns the end labels inwards, so a survey code is not cut off', () => {
    const svg = lineChart({ title: 'Perkembangan', description: 'Indeks per putaran', points: [{ label: 'SPI-DEMO-2025', value: 53.43 }, { label: 'SPI-DEMO', value: 61.22 }], format: String });
    expect(axisLabels(svg)).toEqual(['0', '25', '50', '75', '100']);
    expect(svg).toContain('text-anchor="start">SPI-DEMO-2025</text>');
    expect(svg).toContain('text-anchor="end">SPI-DEMO</text>');
    const single = lineChart({ title: 'Perkembangan', description: 'Indeks per putaran', points: [{ label: 'SPI-DEMO', value: 61.22 }], format: String });
    expect(single).toContain('text-anchor="middle">SPI-DEMO</text>');
  });
});
