/** Colours of the charts: a series palette and the scale of the pass-rate heat map. */

/** Okabe-Ito colours, distinguishable with the common colour-vision deficiencies. */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

/** The colour of the i-th series (the palette repeats past its end). */
export function seriesColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

type Rgb = readonly [number, number, number];

/** Stops of the pass-rate scale: 0 red, 0.5 pale yellow, 1 green. */
const STOPS: ReadonlyArray<readonly [number, Rgb]> = [
  [0, [215, 48, 39]],
  [0.5, [254, 224, 139]],
  [1, [26, 152, 80]],
];

function hex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** The heat-map colour of a value in [0, 1] (clamped), interpolated between the stops. */
export function passRateColor(value: number): string {
  const v = Math.min(1, Math.max(0, value));
  for (let i = 1; i < STOPS.length; i++) {
    const [x1, c1] = STOPS[i]!;
    if (v <= x1) {
      const [x0, c0] = STOPS[i - 1]!;
      const t = (v - x0) / (x1 - x0);
      return hex([0, 1, 2].map((k) => c0[k]! + t * (c1[k]! - c0[k]!)) as unknown as Rgb);
    }
  }
  return hex(STOPS.at(-1)![1]);
}

/** The stops for an SVG gradient legend (offset in [0, 1], colour). */
export function passRateStops(): Array<{ offset: number; color: string }> {
  return STOPS.map(([offset, rgb]) => ({ offset, color: hex(rgb) }));
}
