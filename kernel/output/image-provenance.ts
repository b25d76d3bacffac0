import type { FigureFormat } from './figure-formats.ts';

/**
 * The provenance of the runs a figure shows, written into the image file itself so
 * that a figure copied into a paper still says where it came from: in an SVG an XML
 * comment after the opening tag; in a PNG a tEXt chunk (keyword `mmulab provenance`,
 * PNG spec 11.3.4.3) after IHDR, which viewers ignore and `exiftool` or `pngcheck -t`
 * print; in a PDF comment lines after its last %%EOF, which PDF readers skip
 * (Chromium's printing has no way to set the document's metadata).
 */
export function imageWithProvenance(
  format: FigureFormat,
  image: Buffer,
  provenance: readonly [string, string][],
): Buffer {
  const lines = provenance.map(([k, v]) => `${k}: ${v}`);
  switch (format) {
    case 'svg': {
      const text = image.toString('utf8');
      const at = text.indexOf('>') + 1;
      const clean = (v: string): string => v.replace(/--/g, '- -');
      const comment = `<!--\n${lines.map(clean).join('\n')}\n-->`;
      return Buffer.from(`${text.slice(0, at)}${comment}${text.slice(at)}`, 'utf8');
    }
    case 'pdf': {
      const comment = lines.map((l) => `% ${l.replace(/[\r\n]/g, ' ')}\n`).join('');
      const end = image.at(-1) === 0x0a ? '' : '\n';
      return Buffer.concat([image, Buffer.from(`${end}% mmulab provenance\n${comment}`, 'latin1')]);
    }
    case 'png':
      return pngWithText(image, PNG_KEYWORD, lines.join('\n'));
  }
}

/** The tEXt keyword the provenance goes under. */
export const PNG_KEYWORD = 'mmulab provenance';

/** The PNG signature and the length of IHDR's chunk (4 length, 4 type, 13 data, 4 CRC). */
const SIGNATURE_BYTES = 8;
const IHDR_CHUNK_BYTES = 25;

/** `png` with a tEXt chunk right after IHDR (Latin-1: other characters become '?'). */
function pngWithText(png: Buffer, keyword: string, text: string): Buffer {
  if (png.toString('latin1', 12, 16) !== 'IHDR')
    throw new Error('not a PNG: its first chunk is not IHDR');
  const data = Buffer.from(`${keyword}\0${text}`.replace(/[^\x20-\xff\n\0]/g, '?'), 'latin1');
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const at = SIGNATURE_BYTES + IHDR_CHUNK_BYTES;
  return Buffer.concat([png.subarray(0, at), chunk, png.subarray(at)]);
}

/** The tEXt chunks of a PNG, keyword to text: what a reader of the file finds. */
export function pngTextChunks(png: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (let at = SIGNATURE_BYTES; at + 12 <= png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'tEXt') {
      const data = png.toString('latin1', at + 8, at + 8 + length);
      const nul = data.indexOf('\0');
      out.set(data.slice(0, nul), data.slice(nul + 1));
    }
    at += 12 + length;
  }
  return out;
}

/** CRC-32 of ISO 3309, as PNG's chunks use it (PNG spec, annex D). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
