#!/usr/bin/env bash
# Regenerates docs/dashboard.png: connmon (with attribution) scraped every 2 s by Debian's Prometheus while
# demo_load.py plays a few minutes of socket activity on loopback, then render.py plots every panel.
# Docs only (not part of CI). Needs prometheus, curl and python3-matplotlib; takes about --seconds + 30 s.
#   deploy/grafana/demo.sh [SECONDS]     (default 240)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/e2e/lib.sh"
seconds=${1:-240}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cport=$(free_port)
"$root/bin/connmon" serve --listen "127.0.0.1:$cport" --attribution on --max-age 0 >"$work/connmon.log" 2>&1 &
pids+=($!)
pport=$(free_port)
cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 2s
scrape_configs:
  - job_name: connmon
    static_configs:
      - targets: ['127.0.0.1:$cport']
        labels:
          instance: demo-host
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$pport" >"$work/prometheus.log" 2>&1 &
pids+=($!)
wait_for 60 curl -sf "http://127.0.0.1:$pport/-/ready"
wait_for 60 curl -sf "http://127.0.0.1:$cport/-/ready"
sleep 10
python3 "$root/deploy/grafana/demo_load.py" --seconds "$seconds"
sleep 10
/usr/bin/python3 "$root/deploy/grafana/render.py" "http://127.0.0.1:$pport" "$root/deploy/grafana/connmon.json" \
  "$root/docs/dashboard.png" --minutes "$(awk -v s="$seconds" 'BEGIN { print (s + 30) / 60 }')" --instance demo-host
