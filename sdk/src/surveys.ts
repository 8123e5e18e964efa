/**
 * Survey triggers (PRODUCT.md 7.1): an eligible survey is offered (`onSurvey`) when a tracked
 * event is one of its `triggers.events`, or on a page view when it lists none, on a URL
 * matching `url_pattern` (a regular expression), after `delay_ms`. Each survey is offered at
 * most once per client; an answered one never again (remembered, as the server learns it
 * from the `survey sent` event). The wait period between showings is the server's: after
 * `surveyShown` the client re-asks, and the next handshake leaves the survey out.
 */
import type { Kv } from './storage.js';
import type { Survey } from './types.js';

export function createSurveys(deps: { kv: Kv; list: () => Survey[]; onSurvey?: (s: Survey) => void; fail: (where: string, err: unknown) => void }) {
  let answered = new Set(deps.kv.get<string[]>('answered') ?? []);
  const offered = new Set<string>();
  const patterns = new Map<string, RegExp | null>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const urlMatches = (pattern: string | null, url: string | undefined) => {
    if (!pattern) return true;
    if (url === undefined) return false;
    let re = patterns.get(pattern);
    if (re === undefined) {
      try {
        re = new RegExp(pattern);
      } catch {
        re = null;
      }
      patterns.set(pattern, re);
    }
    return re !== null && re.test(url);
  };

  const open = (key: string) => !answered.has(key) && deps.list().some((s) => s.key === key);

  return {
    /** Eligible surveys the person has not answered here. */
    eligible: () => deps.list().filter((s) => !answered.has(s.key)),
    /** A tracked event (`event`) or a page view (no event) at `url`: offers what it triggers. */
    trigger(event: string | undefined, url: string | undefined) {
      if (!deps.onSurvey) return;
      for (const s of deps.list()) {
        if (offered.has(s.key) || answered.has(s.key)) continue;
        const events = Array.isArray(s.triggers.events) ? s.triggers.events : [];
        if (event === undefined ? events.length > 0 : !events.includes(event)) continue;
        if (!urlMatches(s.triggers.url_pattern ?? null, url)) continue;
        offered.add(s.key);
        const t = setTimeout(() => {
          timers.delete(t);
          if (!open(s.key)) return;
          try {
            deps.onSurvey?.(s);
          } catch (err) {
            deps.fail('onSurvey', err);
          }
        }, Math.max(0, Number(s.triggers.delay_ms) || 0));
        timers.add(t);
      }
    },
    shown(key: string) {
      offered.add(key);
    },
    answered(key: string) {
      answered.add(key);
      deps.kv.set('answered', [...answered]);
    },
    reset() {
      answered = new Set();
      offered.clear();
      deps.kv.del('answered');
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
