import { describe, expect, it } from 'vitest';
import { diffJson } from '../../../console/src/lib/json-diff.js';

describe('console json diff', () => {
  it('lists changed, added and removed leaf paths in document order', () => {
    const before = { enabled: true, rules: [{ id: 'a', rollout: 10 }, { id: 'b' }], salt: 'x' };
    const after = { enabled: false, rules: [{ id: 'a', rollout: 25 }], default_variant: 'on', salt: 'x' };
    expect(diffJson(before, after)).toEqual([
      { path: 'enabled', kind: 'changed', before: true, after: false },
      { path: 'rules[0].rollout', kind: 'changed', before: 10, after: 25 },
      { path: 'rules[1]', kind: 'removed', before: { id: 'b' } },
      { path: 'default_variant', kind: 'added', after: 'on' },
    ]);
    expect(diffJson({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
    expect(diffJson(null, { a: 1 })).toEqual([{ path: '(document)', kind: 'changed', before: null, after: { a: 1 } }]);
  });
});
