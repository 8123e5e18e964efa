/**
 * Webhook HTTP delivery and its guard against server-side request forgery (docs/webhooks.md).
 * A URL is refused when it is not http(s), carries credentials, or its host resolves to a
 * loopback, private, link-local, shared (CGNAT), multicast or otherwise reserved address,
 * unless `allowPrivate` (the operator setting WEBHOOK_ALLOW_PRIVATE_URLS). The check runs
 * when an endpoint is saved and again inside every connection's own DNS lookup, so a name
 * that re-resolves to a private address later (DNS rebinding) is refused at send time too.
 * Redirects are not followed (a 3xx is a failed attempt).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { WebhookSender } from '../../ports/webhook-store.js';

/** Reserved ranges (IANA special-purpose registries for IPv4 and IPv6). */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96], ['100::', 64]] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** True for an address no webhook may reach without the operator's leave. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  return blocked.check(address, 'ipv6');
}

const resolveAll = (host: string) =>
  new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

export function createWebhookSender(opts: { allowPrivate: boolean }): WebhookSender {
  /** A DNS lookup that refuses private addresses (used by each connection). */
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad && !opts.allowPrivate) return callback(Object.assign(new Error(`refused: ${hostname} resolves to a private address (${bad.address})`), { code: 'EPRIVATE' }), '', 4);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };

  return {
    async refusal(raw) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return 'url: must be an absolute http(s) URL';
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'url: must start with https:// or http://';
      if (url.username || url.password) return 'url: must not carry credentials';
      if (opts.allowPrivate) return null;
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (host === 'localhost' || host.endsWith('.localhost')) return 'url: loopback hosts are refused (set WEBHOOK_ALLOW_PRIVATE_URLS to allow them)';
      if (isIP(host)) return isPrivateAddress(host) ? `url: ${host} is a loopback or private address (set WEBHOOK_ALLOW_PRIVATE_URLS to allow it)` : null;
      try {
        const addresses = await resolveAll(host);
        const bad = addresses.find((a) => isPrivateAddress(a.address));
        return bad ? `url: ${host} resolves to a loopback or private address (${bad.address})` : null;
      } catch {
        return `url: cannot resolve ${host}`;
      }
    },

    send(raw, headers, body, timeoutMs) {
      return new Promise((resolve) => {
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          return resolve({ status: null, error: 'invalid url' });
        }
        const lib = url.protocol === 'https:' ? https : http;
        const req = lib.request(
          url,
          { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'switchboard-webhooks/1' }, lookup: guardedLookup, timeout: timeoutMs, agent: false },
          (res) => {
            res.resume(); // the answer's body is not kept
            res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
            res.on('error', (err) => resolve({ status: res.statusCode ?? null, error: err.message }));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', (err) => resolve({ status: null, error: err.message }));
        req.end(body);
      });
    },
  };
}
