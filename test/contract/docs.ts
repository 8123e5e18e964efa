import type { PersonDoc } from '../../src/domain/person.js';

/** A person document as PostgreSQL hands it to the identity map. */
export const doc = (id: number, version: number, properties: Record<string, unknown> = {}, extra: Partial<PersonDoc> = {}): PersonDoc => ({
  id,
  bucketingKey: `bk-${id}`,
  propertiesJson: JSON.stringify(properties),
  identified: false,
  version,
  surveyHistory: { answered: [], lastShownAt: null },
  ...extra,
});
