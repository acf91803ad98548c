import { createHash } from 'node:crypto';
import type { InstrumentFormat } from '#instruments';

export type ImageType = 'png' | 'jpeg' | 'tiff';

export const IMAGE_MEDIA_TYPES: Record<ImageType, string> = { png: 'image/png', jpeg: 'image/jpeg', tiff: 'image/tiff' };

/** EM micrographs and blot images: recognised by their magic bytes, never by name or declared type. */
export function imageTypeOf(bytes: Uint8Array): ImageType | null {
  const starts = (...magic: number[]) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  // Classic TIFF (42) and BigTIFF (43), either byte order.
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a) || starts(0x49, 0x49, 0x2b, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2b)) return 'tiff';
  return null;
}

/** The media type of a stored instrument file, from its recognised format and container (not the client's claim). */
export function instrumentMediaType(format: InstrumentFormat, bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'application/gzip';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'application/zip';
  switch (format) {
    case 'fcs':
      return 'application/vnd.isac.fcs';
    case 'nanosight-nta':
      return 'text/csv';
    default:
      return 'application/xml';
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The client's file name without any path, control characters or excess length. */
export function cleanFileName(name: string | undefined, fallback: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? fallback : clean;
}

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name. */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
