/**
 * Switchboard's client SDK for browsers and Node 18+ (PRODUCT.md 11, sdk/README.md).
 * `createClient(token, { host })`; `init` is the same function under PRODUCT.md's name.
 */
export { createClient, createClient as init, type SwitchboardClient, type People } from './client.js';
export { memoryStorage } from './storage.js';
export type * from './types.js';
