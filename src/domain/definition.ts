/** Decision definitions (flags, configs, surveys) as stored; their shapes and compilation are core/compile's. */
export type { DefinitionKind } from '../core/index.js';

/** A saved definition document with its bookkeeping; `definition` holds no key or version. Times are ISO 8601. */
export interface StoredDefinition {
  id: number;
  key: string;
  definition: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}
