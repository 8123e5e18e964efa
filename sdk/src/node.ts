/** Node entry point: the client plus a file-backed Storage (`fileStorage(path)`). */
export * from './index.js';
export { fileStorage } from './file-storage.js';
