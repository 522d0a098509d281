#!/usr/bin/env bash
# The pipeline as separate commands on a fresh data directory:
#   examples/pipeline.sh [DATA_DIR]
# simulate → ingest → process --until-idle → sql. Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
continuity() { node "$here/bin/continuity.mjs" "$@"; }
data_dir="${1:-$(mktemp -d)}"

continuity simulate --scenario seed > "$data_dir.seed.ndjson"
continuity ingest "$data_dir.seed.ndjson" --data-dir "$data_dir"
continuity process --until-idle --data-dir "$data_dir"
continuity sql --data-dir "$data_dir" --format csv \
  "SELECT type, sum(quantity) AS quantity FROM events GROUP BY type ORDER BY type"
rm -f "$data_dir.seed.ndjson"
