/** Decision definitions (flags, configs, surveys) as stored; their shapes and compilation are core/compile's. */
import { HASH_VERSION, isFlagdFormat, type DefinitionKind } from '../core/index.js';

export type { DefinitionKind };

/** A saved definition document with its bookkeeping; `definition` holds no key or version. Times are ISO 8601. */
export interface StoredDefinition {
  id: number;
  key: string;
  definition: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * The document as stored (PRODUCT.md 5): a native flag, or a config or survey, saved without
 * `salt` or `hash_version` gets `salt: <key>` and `hash_version: HASH_VERSION` (the current
 * one) written in, so a later change of defaults never moves anyone's bucket. Values given are
 * kept. flagd-format flags have no salt and are returned as they are. Call it on a document
 * that compiled (a `salt: null` is refused there, not replaced here).
 */
export function withHashingPinned(kind: DefinitionKind, key: string, doc: Record<string, unknown>): Record<string, unknown> {
  if (kind === 'flag' && isFlagdFormat(doc)) return doc;
  return { ...doc, salt: doc.salt ?? key, hash_version: doc.hash_version ?? HASH_VERSION };
}
