// Draws the app's icons into static/icons/ (committed; run again only when
// the drawing changes): an SVG, and 192 and 512 pixel PNGs of the same
// shapes for the web app manifest. Plain node, nothing downloaded: the PNGs
// are rasterised here (4x4 supersampling) and written with node's zlib.
//
//   node scripts/draw-icons.mjs
//
// The drawing: an append-only log, on the app's accent colour
// (--accent in static/style.css): three recorded events and, lighter, the
// one just appended.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'static', 'icons');

/** The drawing, on a 512 unit square: rounded rectangles, back to front. */
const SIZE = 512;
const shapes = [
  { x: 0, y: 0, w: 512, h: 512, r: 96, fill: '#0f766e' },
  { x: 112, y: 106, w: 288, h: 48, r: 24, fill: '#ffffff' },
  { x: 112, y: 190, w: 240, h: 48, r: 24, fill: '#ffffff' },
  { x: 112, y: 274, w: 288, h: 48, r: 24, fill: '#ffffff' },
  { x: 112, y: 358, w: 176, h: 48, r: 24, fill: '#5eead4' },
];

function svg() {
  const rects = shapes.map(({ x, y, w, h, r, fill }) => `  <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${r}" fill="${fill}"/>`);
  return [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SIZE} ${SIZE}">`, ...rects, '</svg>', ''].join('\n');
}

function inside({ x, y, w, h, r }, px, py) {
  if (px < x || px >= x + w || py < y || py >= y + h) return false;
  // Distance from the nearest corner's centre, for points in a corner square.
  const dx = Math.max(x + r - px, 0, px - (x + w - r));
  const dy = Math.max(y + r - py, 0, py - (y + h - r));
  return dx * dx + dy * dy <= r * r;
}

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** RGBA pixels of the drawing at `pixels` square; each pixel averages 4x4 samples. */
function raster(pixels) {
  const samples = 4;
  const scale = SIZE / pixels;
  const rgba = Buffer.alloc(pixels * pixels * 4);
  for (let row = 0; row < pixels; row += 1) {
    for (let col = 0; col < pixels; col += 1) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy += 1) {
        for (let sx = 0; sx < samples; sx += 1) {
          const px = (col + (sx + 0.5) / samples) * scale;
          const py = (row + (sy + 0.5) / samples) * scale;
          const top = shapes.findLast((shape) => inside(shape, px, py));
          if (!top) continue;
          const [r, g, b] = rgb(top.fill);
          sum[0] += r; sum[1] += g; sum[2] += b; sum[3] += 255;
        }
      }
      const covered = sum[3] / 255;
      const at = (row * pixels + col) * 4;
      // Colour averages over covered samples only (straight, not premultiplied, alpha).
      for (let c = 0; c < 3; c += 1) rgba[at + c] = covered ? Math.round(sum[c] / covered) : 0;
      rgba[at + 3] = Math.round(sum[3] / (samples * samples));
    }
  }
  return rgba;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
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

function png(pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(pixels, 0);
  header.writeUInt32BE(pixels, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // RGBA
  const rgba = raster(pixels);
  const rows = [];
  for (let row = 0; row < pixels; row += 1) {
    // Filter type 0 (none) before each row.
    rows.push(Buffer.from([0]), rgba.subarray(row * pixels * 4, (row + 1) * pixels * 4));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'icon.svg'), svg());
for (const pixels of [192, 512]) fs.writeFileSync(path.join(out, `icon-${pixels}.png`), png(pixels));
console.log(`icons written to ${out}`);
