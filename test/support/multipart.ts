import { randomBytes } from 'node:crypto';
import type { HttpResult, TestApp } from './test-app.js';

export interface FormFile {
  /** The multipart field name (default "file"). */
  field?: string;
  filename: string;
  content: Buffer;
  contentType?: string;
}

/** A multipart/form-data body written by hand (RFC 7578): text fields first, then the files. */
export function multipartBody(fields: Record<string, string | number | undefined>, files: FormFile[] = []): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----exolot-test-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'));
  }
  for (const file of files) {
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`;
    parts.push(Buffer.from(head, 'utf8'), file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** POSTs a form with one file (or none) through TestApp.request. */
export function postForm<T = any>(app: TestApp, url: string, token: string, fields: Record<string, string | number | undefined>, file?: FormFile): Promise<HttpResult<T>> {
  const { payload, headers } = multipartBody(fields, file ? [file] : []);
  return app.request<T>('POST', url, { token, payload, headers });
}

/** A GET whose body is kept as bytes (TestApp.request decodes bodies as text). */
export async function getBytes(app: TestApp, url: string, token: string): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }> {
  const response = await app.app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return { status: response.statusCode, headers: response.headers, bytes: response.rawPayload };
}
