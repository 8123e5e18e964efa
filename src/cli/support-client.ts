/**
 * The HTTP side of the support CLI (`switchboard persons|explain|cohorts|keys`): it talks to
 * a running server's admin API, never to the database, so it needs only a URL and an admin
 * key. Where they come from, first found wins:
 * - URL: `--url`, SWITCHBOARD_URL, the config file's `url`, then http://HOST:PORT;
 * - key: SWITCHBOARD_ADMIN_KEY, then the config file's `admin_key`.
 * The config file (`--config`, SWITCHBOARD_CONFIG, default ~/.config/switchboard/cli.json) is
 * JSON `{ "url"?: string, "admin_key"?: string }` and must not be readable by group or others
 * (mode 0600, as ssh and the AWS CLI require of their secrets): a looser file is refused.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { ClientConfig } from '../config.js';

/** The API answered an error: its HTTP status and `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  url?: string;
  config?: string;
}

/** Where the config file is: `--config`, SWITCHBOARD_CONFIG, else ~/.config/switchboard/cli.json. */
export function configFilePath(env: ClientConfig, opts: ClientOptions): string {
  return opts.config ?? env.SWITCHBOARD_CONFIG ?? path.join(homedir(), '.config', 'switchboard', 'cli.json');
}

/** Reads the config file; null when it does not exist. Throws when it is group/world readable or not JSON. */
export function readConfigFile(file: string): { url?: string; admin_key?: string } | null {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return null;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(`${file}: permissions ${(mode & 0o777).toString(8)} are too open: it holds an admin key (chmod 600 ${file})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file}: must hold a JSON object { "url"?, "admin_key"? }`);
  const { url, admin_key } = parsed as Record<string, unknown>;
  if (url !== undefined && typeof url !== 'string') throw new Error(`${file}: url must be a string`);
  if (admin_key !== undefined && typeof admin_key !== 'string') throw new Error(`${file}: admin_key must be a string`);
  return { url: url as string | undefined, admin_key: admin_key as string | undefined };
}

/** A small JSON client of the admin API, bound to one server and key. */
export interface ApiClient {
  readonly url: string;
  request<T = unknown>(method: string, pathname: string, body?: { json?: unknown; csv?: string }): Promise<T>;
}

/** Builds the client from options, environment and config file (see the module comment). */
export function createApiClient(env: ClientConfig, opts: ClientOptions): ApiClient {
  const file = readConfigFile(configFilePath(env, opts));
  const url = (opts.url ?? env.SWITCHBOARD_URL ?? file?.url ?? `http://${env.HOST}:${env.PORT}`).replace(/\/+$/, '');
  const key = env.SWITCHBOARD_ADMIN_KEY ?? file?.admin_key;
  if (!key) throw new Error(`no admin key: set SWITCHBOARD_ADMIN_KEY or put "admin_key" in ${configFilePath(env, opts)} (mode 600)`);
  return {
    url,
    async request<T>(method: string, pathname: string, body?: { json?: unknown; csv?: string }): Promise<T> {
      const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
      let payload: string | undefined;
      if (body?.csv !== undefined) {
        headers['Content-Type'] = 'text/csv';
        payload = body.csv;
      } else if (body?.json !== undefined) {
        headers['Content-Type'] = 'application/json';
        payload = JSON.stringify(body.json);
      }
      let res: Response;
      try {
        res = await fetch(`${url}${pathname}`, { method, headers, body: payload, signal: AbortSignal.timeout(60_000) });
      } catch (err) {
        throw new Error(`cannot reach ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message} (is the server running? --url)`);
      }
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      if (!res.ok) {
        const e = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
        throw new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? (text.slice(0, 200) || res.statusText), e?.details);
      }
      return parsed as T;
    },
  };
}
