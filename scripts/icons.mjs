// Draws the app's icons from one description, deterministically, with no dependency beyond
// Node: `node scripts/icons.mjs` writes web-ui/icons/ (committed; run it again only when the
// drawing below changes).
//
//   icon.svg           the drawing as SVG (the page's favicon, and any size in the manifest)
//   icon-192.png       192 px, rounded square, transparent corners (manifest, "any")
//   icon-512.png       512 px, the same
//   maskable-512.png   512 px, full bleed, the drawing inside the central 80 % circle that
//                      every platform's mask keeps (manifest, "maskable")
//
// The PNGs are rasterized here: every pixel is the mean of 4 × 4 samples, each the colour of
// the topmost shape that contains it (later shapes paint over earlier ones, as in SVG), and
// written as 8-bit RGBA with zlib (Node's own) at its highest level.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web-ui', 'icons');

/** The app's accent (style.css's light `--accent`) and the drawing's colour on it. */
const ACCENT = '#2f6fdf';
const INK = '#ffffff';

/**
 * The drawing in a unit square: a ferry (hull, cabin with three windows, funnel) over a
 * wave. Polygons only, so the SVG and the rasterizer read the same points.
 */
const FERRY = [
  { fill: INK, points: [[0.17, 0.53], [0.83, 0.53], [0.73, 0.68], [0.27, 0.68]] },
  { fill: INK, points: [[0.3, 0.38], [0.66, 0.38], [0.66, 0.53], [0.3, 0.53]] },
  { fill: INK, points: [[0.42, 0.26], [0.52, 0.26], [0.52, 0.38], [0.42, 0.38]] },
  ...[0.34, 0.45, 0.56].map((x) => ({
    fill: ACCENT,
    points: [[x, 0.42], [x + 0.06, 0.42], [x + 0.06, 0.48], [x, 0.48]],
  })),
  { fill: INK, points: wave(0.75, 0.035, 0.04) },
];

/** A band along a sine from x 0.17 to 0.83 around `y`: amplitude `amp`, thickness `thick`. */
function wave(y, amp, thick) {
  const top = [];
  for (let i = 0; i <= 24; i++) {
    const x = 0.17 + (0.66 * i) / 24;
    top.push([round(x), round(y + amp * Math.sin((i / 24) * 4 * Math.PI))]);
  }
  const bottom = top.map(([x, yy]) => [x, round(yy + thick)]).reverse();
  return [...top, ...bottom];
}

function round(n) {
  return Math.round(n * 10000) / 10000;
}

/** The shapes of one icon: the background, then the drawing scaled by `scale` about the centre. */
function shapes({ maskable }) {
  const scale = maskable ? 0.8 : 1;
  const at = ([x, y]) => [round(0.5 + (x - 0.5) * scale), round(0.5 + (y - 0.5) * scale)];
  const background = maskable
    ? { fill: ACCENT, rect: { radius: 0 } }
    : { fill: ACCENT, rect: { radius: 0.22 } };
  return [background, ...FERRY.map((s) => ({ fill: s.fill, points: s.points.map(at) }))];
}

function inPolygon(points, x, y) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inRoundedSquare(radius, x, y) {
  const dx = Math.max(radius - x, 0, x - (1 - radius));
  const dy = Math.max(radius - y, 0, y - (1 - radius));
  return dx * dx + dy * dy <= radius * radius;
}

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/** The icon `size` px square as RGBA bytes. */
function rasterize(list, size) {
  const SAMPLES = 4;
  const colours = list.map((s) => rgb(s.fill));
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES) / size;
          const y = (py + (sy + 0.5) / SAMPLES) / size;
          let top = -1;
          list.forEach((shape, i) => {
            const hit = shape.rect ? inRoundedSquare(shape.rect.radius, x, y) : inPolygon(shape.points, x, y);
            if (hit) top = i;
          });
          if (top < 0) continue;
          const [r, g, b] = colours[top];
          // Premultiplied, so that edges against transparency keep their colour.
          sum[0] += r;
          sum[1] += g;
          sum[2] += b;
          sum[3] += 255;
        }
      }
      const n = SAMPLES * SAMPLES;
      const alpha = sum[3] / n;
      const at = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) pixels[at + c] = alpha ? Math.round((sum[c] / n) * (255 / alpha)) : 0;
      pixels[at + 3] = Math.round(alpha);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG of `size` × `size` RGBA `pixels`. */
function png(pixels, size) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  // Each row starts with its filter: 0, none.
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The drawing as SVG, in a 512 unit view box. */
function svg(list) {
  const n = (v) => round(v * 512);
  const parts = list.map((s) =>
    s.rect
      ? `<rect width="512" height="512" rx="${n(s.rect.radius)}" fill="${s.fill}"/>`
      : `<path d="M${s.points.map(([x, y]) => `${n(x)} ${n(y)}`).join('L')}Z" fill="${s.fill}"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">${parts.join('')}</svg>\n`;
}

mkdirSync(OUT, { recursive: true });
const plain = shapes({ maskable: false });
writeFileSync(path.join(OUT, 'icon.svg'), svg(plain));
for (const size of [192, 512]) writeFileSync(path.join(OUT, `icon-${size}.png`), png(rasterize(plain, size), size));
writeFileSync(path.join(OUT, 'maskable-512.png'), png(rasterize(shapes({ maskable: true }), 512), 512));
