/** A UUID v4 (RFC 9562) from the platform's CSPRNG; Math.random only where no crypto exists. */
export function uuid(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const PLACEHOLDERS = ['undefined', 'null', '0', 'anonymous', 'guest', '[object object]', 'nan'];

/** Why `id` cannot be a distinct_id (the server's rule, docs/feeds.md), or null when it can. */
export function badId(id: unknown): string | null {
  if (typeof id !== 'string') return 'must be a string';
  if (id.length < 1 || id.length > 200) return 'must be 1-200 characters';
  const t = id.trim().toLowerCase();
  if (t === '' || PLACEHOLDERS.includes(t)) return `"${id}" is a placeholder id, not a user`;
  return null;
}

/** True for a plain JSON-like object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
