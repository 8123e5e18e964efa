/** Projects (PRODUCT.md 2): one app, with a public token and a tier. */

/** The tiers; a tier sets how often cohorts refresh and whether they follow events. */
export type Tier = 'hobby' | 'pro' | 'growth' | 'enterprise';
export const TIERS: readonly Tier[] = ['hobby', 'pro', 'growth', 'enterprise'];

/** A project. The token is public (SDKs embed it). Times are ISO 8601. */
export interface Project {
  id: number;
  name: string;
  tier: Tier;
  token: string;
  createdAt: string;
  /**
   * Origins (`https://app.example.com`) whose browser pages may call the public endpoints
   * (CORS); `['*']` or null: any origin; `[]`: none.
   */
  allowedOrigins: string[] | null;
  /** days of events kept (null: forever); older ones are deleted by the refresher's maintenance */
  eventRetentionDays: number | null;
  /** IANA time zone of calendar cohort windows ("this month", weeks of `regularly`); default UTC */
  timeZone: string;
}

/** Whether `tz` is an IANA time zone name this runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** True when a browser page from `origin` may read the project's public answers. */
export const allowsOrigin = (project: Pick<Project, 'allowedOrigins'>, origin: string): boolean =>
  project.allowedOrigins === null || project.allowedOrigins.includes('*') || project.allowedOrigins.includes(origin);

/** Seconds between scheduled refreshes of a cohort, by project tier (PRODUCT.md 6.3); a cohort may ask for slower, never faster. */
export const TIER_INTERVAL_S: Readonly<Record<Tier, number>> = { hobby: 1800, pro: 300, growth: 60, enterprise: 30 };

/** Tiers whose cohorts also follow events within seconds (PRODUCT.md 6.3). */
export const EVENT_DRIVEN_TIERS: readonly Tier[] = ['enterprise'];
