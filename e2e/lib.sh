# Shared helpers for the end-to-end tests: TAP-like "ok"/"not ok" lines and a closing "N passed, M failed".
# Source it, call check/pass/fail, and end with finish.
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
# wait_for SECONDS COMMAND...: retries the command every 0.2 s until it succeeds or time runs out.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}
# free_port: a TCP port on 127.0.0.1 nobody listens on (the kernel picks it).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }
# jqt FILTER FILE: jq -e without its output, for check.
jqt() { jq -e "$@" >/dev/null; }
