/** The distinct_id rules of PRODUCT.md 4.1, shared by every feed, the handshake and uploads. */

/** Longest distinct_id, in characters. */
export const MAX_DISTINCT_ID_CHARS = 200;

/** Ids clients send when they have none; refused everywhere (PRODUCT.md 4.1), case-insensitive. */
const PLACEHOLDERS = new Set(['undefined', 'null', '0', 'anonymous', 'guest', '[object object]', 'nan']);

/** True for placeholder ids (`null`, `guest`, ...), empty or whitespace-only ids. */
export const isPlaceholderId = (id: string): boolean => id.trim() === '' || PLACEHOLDERS.has(id.trim().toLowerCase());
