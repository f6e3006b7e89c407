import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Context as HonoContext } from 'hono';
import parseRange from 'range-parser';

/** A file on disk to send as a download. */
export interface FileBody {
  path: string;
  bytes: number;
  /** The name the client saves it under: plain ASCII, made by the service. */
  name: string;
  contentType: string;
  /** Hex SHA-256 of the whole file: its entity tag. */
  sha256: string;
}

/**
 * Sends a file as an attachment, streamed from disk, with byte ranges (RFC 9110 14): one range answers 206
 * with Content-Range; an unsatisfiable one 416; several, or an If-Range that no longer matches, the whole
 * file. The ETag is the file's SHA-256, so a resumed download can be sure it resumes the same file.
 */
export function fileResponse(c: HonoContext, file: FileBody): Response {
  const etag = `"${file.sha256}"`;
  const headers = new Headers({
    'Content-Type': file.contentType,
    'Content-Disposition': `attachment; filename="${file.name}"`,
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cache-Control': 'private, no-store',
  });
  const header = c.req.header('range');
  const ifRange = c.req.header('if-range');
  let start = 0;
  let end = file.bytes - 1;
  let status = 200;
  if (header && (!ifRange || ifRange === etag)) {
    const ranges = parseRange(file.bytes, header, { combine: true });
    if (ranges === -1) {
      headers.set('Content-Range', `bytes */${file.bytes}`);
      return new Response(null, { status: 416, headers });
    }
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
      start = ranges[0].start;
      end = ranges[0].end;
      status = 206;
      headers.set('Content-Range', `bytes ${start}-${end}/${file.bytes}`);
    }
  }
  headers.set('Content-Length', String(file.bytes === 0 ? 0 : end - start + 1));
  if (c.req.method === 'HEAD' || file.bytes === 0) return new Response(null, { status, headers });
  const stream = Readable.toWeb(createReadStream(file.path, { start, end })) as ReadableStream;
  return new Response(stream, { status, headers });
}
