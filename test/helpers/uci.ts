import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The UCI Online Retail file (../shared/data beside the repository; never committed).
 * UCI_FILE overrides; the workplace's absolute path is the fallback for clones elsewhere.
 */
export const UCI = [
  process.env.UCI_FILE,
  path.resolve('../shared/data/uci-online-retail/online_retail.csv.gz'),
  '/work/shared/data/uci-online-retail/online_retail.csv.gz',
].find((f): f is string => typeof f === 'string' && existsSync(f)) ?? '(UCI Online Retail file not found: set UCI_FILE)';
