import type { Context as HonoContext } from 'hono';
import { errorResponse } from './error-response.js';
import { DomainError } from '../domain/errors.js';

export class MethodNotAllowed extends DomainError {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly status = 405;
}

/**
 * The paths the service serves and their methods, so a known path asked with another method answers 405
 * with Allow (RFC 9110 15.5.6) rather than 404. Patterns use the router's ":param" segments.
 */
export class MethodTable {
  private readonly entries: { pattern: RegExp; methods: Set<string> }[] = [];
  private readonly byPath = new Map<string, Set<string>>();

  /** `head: false` for a handler that cannot answer HEAD as its GET (yoga). */
  add(method: string, path: string, opts: { head?: boolean } = {}): void {
    let methods = this.byPath.get(path);
    if (!methods) {
      methods = new Set();
      this.byPath.set(path, methods);
      const source = path.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
      this.entries.push({ pattern: new RegExp(`^${source}$`), methods });
    }
    methods.add(method);
    if (method === 'GET' && opts.head !== false) methods.add('HEAD');
  }

  /** The methods a path takes, or null when no route has that path. */
  allowed(path: string): string[] | null {
    const methods = new Set<string>();
    for (const e of this.entries) if (e.pattern.test(path)) for (const m of e.methods) methods.add(m);
    return methods.size > 0 ? [...methods].sort() : null;
  }

  /** The answer for an unmatched request: 405 with Allow on a known path, else 404. */
  notMatched(c: HonoContext): Response {
    const allowed = this.allowed(c.req.path);
    if (allowed) {
      c.header('Allow', allowed.join(', '));
      return errorResponse(c, new MethodNotAllowed(`${c.req.method} is not allowed on ${c.req.path}; it takes ${allowed.join(', ')}`));
    }
    return c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
  }
}
