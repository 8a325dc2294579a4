#!/usr/bin/env bash
# Measures `sharelink-demo migrate-db` moving 1,000,000 shares and 2,000,000 access-log
# rows from SQLite to PostgreSQL: wall time and peak memory (/usr/bin/time -v).
# Not part of CI. Needs sqlite3, psql, a PostgreSQL server (SHARELINK_TEST_POSTGRES_URL,
# an admin URL) and the release demo: cargo build --release -p sharelink-examples.
set -euo pipefail
SHARES=${SHARES:-1000000}
DEMO=${DEMO:-${CARGO_TARGET_DIR:-target}/release/sharelink-demo}
ADMIN=${SHARELINK_TEST_POSTGRES_URL:?set SHARELINK_TEST_POSTGRES_URL}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"; psql "$ADMIN" -qc "DROP DATABASE IF EXISTS sl_bench_move WITH (FORCE)" >/dev/null' EXIT
fixtures="$(dirname "$0")/../sharelink-core/tests/fixtures/stored"
settings=$(tr -d '\n' < "$fixtures/share_settings_v1_emailed_only.json" | sed "s/'/''/g")
items=$(tr -d '\n' < "$fixtures/share_items_v1.json" | sed "s/'/''/g")

# An empty source at this version's schema: the copy migrates its target before it
# finds the (empty) source has no schema.
"$DEMO" migrate-db --from "sqlite://$DIR/none.db" --to "sqlite://$DIR/src.db" >/dev/null 2>&1 || true
start=$(date +%s)
sqlite3 "$DIR/src.db" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $SHARES)
INSERT INTO sl_shares (id, key_text, key_folded, owner, name_folded, items, requested,
  settings, adjustments, password_hash, created_at, updated_at, expires_at, use_max, uses,
  uploaded_bytes)
SELECT i, 'Key' || i || 'abcdefgh', 'key' || i || 'abcdefgh', 'user' || (i % 1000),
  'share ' || i, '$items', '$settings', '$settings', '[]',
  '\$argon2id\$v=19\$m=19456,t=2,p=1\$c2FsdHNhbHQ\$aGFzaGhhc2hoYXNoaGFzaA',
  1795000000000000000 + i, 1795000000000000000 + i, 1800000000000000000, 10, i % 10, 0
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2 * $SHARES)
INSERT INTO sl_log_events (id, share_id, at, kind, paths, bytes, ip, user_agent, visitor)
SELECT i, (i + 1) / 2, 1795000000000000000 + i, 'download', '["reports/q3.pdf"]', 123456,
  '192.0.2.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', 'browser-' || i
FROM n;
COMMIT;
SQL
echo "source written in $(( $(date +%s) - start )) s: $(du -h "$DIR/src.db" | cut -f1)"
psql "$ADMIN" -qc "CREATE DATABASE sl_bench_move" >/dev/null
target="${ADMIN%/*}/sl_bench_move"
/usr/bin/time -v "$DEMO" migrate-db --from "sqlite://$DIR/src.db" --to "$target" \
  2> "$DIR/time.txt"
grep -E "Elapsed|Maximum resident" "$DIR/time.txt"
