-- Up Migration
-- Admin key scopes and rotation, and the origins browser SDKs may call from (PRODUCT.md 17).

-- `read` keys may only read (GET, previews, explain); `write` keys may also change things.
ALTER TABLE admin_keys ADD COLUMN scope text NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write'));
-- After a rotation the previous secret keeps working until previous_expires_at (a grace period).
ALTER TABLE admin_keys ADD COLUMN previous_key_hash text;
ALTER TABLE admin_keys ADD COLUMN previous_key_prefix text;
ALTER TABLE admin_keys ADD COLUMN previous_expires_at timestamptz;
-- Keys are found by their (non-secret) prefix, then compared in constant time.
CREATE INDEX admin_keys_prefix ON admin_keys (key_prefix);
CREATE INDEX admin_keys_previous_prefix ON admin_keys (previous_key_prefix) WHERE previous_key_prefix IS NOT NULL;

-- Origins allowed to call the public endpoints from a browser (CORS); NULL: any origin.
ALTER TABLE projects ADD COLUMN allowed_origins text[];
