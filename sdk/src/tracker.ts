/**
 * Tracking (PRODUCT.md 4): events with a `$insert_id` (the server stores each id once, so
 * retries never duplicate), profile updates and the survey events the server's eligibility
 * reads (`survey shown` / `survey sent` with `$survey_key`). Arguments are checked here the
 * way the server checks them; a bad one is recorded and dropped, never thrown.
 */
import type { Identity } from './identity.js';
import { isObject, uuid } from './ids.js';
import { engageBody, jsonCopy, type PeopleOp } from './people.js';
import type { Queue } from './queue.js';
import type { createSurveys } from './surveys.js';
import type { JsonValue } from './types.js';

const MAX_PROPERTIES_BYTES = 65_536;
const utf8Length = (s: string) => (typeof TextEncoder === 'function' ? new TextEncoder().encode(s).length : s.length);

export function createTracker(d: {
  identity: Identity;
  queue: Queue;
  surveys: ReturnType<typeof createSurveys>;
  fail: (where: string, err: unknown) => void;
  here: () => string | undefined;
  refresh: () => Promise<void>;
}) {
  /** Queues one event; returns false (recorded) when its arguments cannot be sent. */
  function enqueue(event: unknown, properties: unknown): boolean {
    try {
      if (typeof event !== 'string' || event.trim() === '' || event.length > 200) throw new Error('track: event must be a non-blank string of 1-200 characters');
      if (properties !== undefined && properties !== null && !isObject(properties)) throw new Error('track: properties must be an object');
      const props = properties ? jsonCopy(properties) : {};
      if (utf8Length(JSON.stringify(props)) > MAX_PROPERTIES_BYTES) throw new Error(`track: properties over ${MAX_PROPERTIES_BYTES} bytes as JSON`);
      const id = uuid();
      d.queue.push({ k: 'e', id, b: { event, distinct_id: d.identity.distinctId(), time: Date.now(), $insert_id: id, properties: props } });
      const url = typeof props.$current_url === 'string' ? props.$current_url : d.here();
      d.surveys.trigger(event, url);
      return true;
    } catch (err) {
      d.fail('track', err);
      return false;
    }
  }

  /** Sends a survey event now and asks again, so the server's eligibility sees it. */
  async function surveyEvent(event: string, key: unknown, extra: Record<string, unknown>, mark: (k: string) => void) {
    try {
      if (typeof key !== 'string' || key === '') throw new Error(`${event}: key must be a non-empty string`);
      if (!enqueue(event, { $survey_key: key, ...extra })) return;
      mark(key);
      await d.queue.flush();
      await d.refresh();
    } catch (err) {
      d.fail(event, err);
    }
  }

  return {
    track(event: string, properties?: Record<string, unknown>) {
      enqueue(event, properties);
    },
    page(url?: string, properties?: Record<string, unknown>) {
      try {
        const at = typeof url === 'string' ? url : d.here();
        const props = isObject(properties) ? properties : {};
        if (enqueue('$pageview', at === undefined ? props : { ...props, $current_url: at })) d.surveys.trigger(undefined, at);
      } catch (err) {
        d.fail('page', err);
      }
    },
    people(op: PeopleOp, arg: unknown) {
      try {
        d.queue.push({ k: 'p', id: uuid(), b: engageBody(op, arg, d.identity.distinctId()) });
      } catch (err) {
        d.fail(`people.${op.slice(1)}`, err);
      }
    },
    surveyShown: (key: string) => surveyEvent('survey shown', key, {}, d.surveys.shown),
    answerSurvey: (key: string, answers: JsonValue) => surveyEvent('survey sent', key, { $survey_response: answers }, d.surveys.answered),
  };
}
