#!/usr/bin/env bash
# End-to-end: connmon and Debian's node_exporter read the same web configuration files (exporter-toolkit's
# format) and must give the same answers: basic auth, TLS versions, mutual TLS; then a real Prometheus scrapes
# connmon over HTTPS with basic auth, and with a client certificate. Loopback only, ports from the kernel.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
root=$(repo_root)
jar="$root/agent/target/connmon.jar"
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

for tool in openssl curl htpasswd jq prometheus prometheus-node-exporter java; do
  command -v "$tool" >/dev/null 2>&1 || { fail "$tool is not installed"; finish; exit 1; }
done
[ -f "$jar" ] || { fail "no $jar (build it first: mvn -B -ntp -DskipTests package)"; finish; exit 1; }

# --- Certificates made now: a CA, a server certificate for 127.0.0.1, a client certificate, and a stranger's.
cd "$work" || exit 1
mkdir tls
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout tls/ca.key -out tls/ca.crt -days 2 -subj "/CN=e2e CA"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls/other-ca.key -out tls/other-ca.crt \
  -days 2 -subj "/CN=other CA"
issue() { # issue NAME CA EXTENSIONS: signs tls/NAME.key's certificate with tls/CA
  local name=$1 ca=$2 ext=$3
  ossl req -new -key "tls/$name.key" -subj "/CN=$name" -out "tls/$name.csr"
  printf '%b' "$ext" > "tls/$name.ext"
  ossl x509 -req -in "tls/$name.csr" -CA "tls/$ca.crt" -CAkey "tls/$ca.key" -CAcreateserial -days 2 \
    -extfile "tls/$name.ext" -out "tls/$name.crt"
}
# Keys in the three formats operators have: PKCS#1 (genrsa -traditional), SEC1 (ecparam), PKCS#8 (genpkey).
ossl genrsa -traditional -out tls/server.key 2048
ossl ecparam -name prime256v1 -genkey -noout -out tls/client.key
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tls/stranger.key
issue server ca "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
issue client ca "extendedKeyUsage=clientAuth\n"
issue stranger other-ca "extendedKeyUsage=clientAuth\n"
check "openssl made the CA, server, client and stranger certificates" \
  test -s tls/server.crt -a -s tls/client.crt -a -s tls/stranger.crt
password='e2e secret'
hash=$(htpasswd -nbBC 10 "" "$password" | tr -d ':\n')

cat > auth.yml <<YAML
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
basic_auth_users:
  prometheus: $hash
YAML
cat > mtls.yml <<YAML
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: tls/ca.crt
YAML

# --- node_exporter and connmon, each on its own port, on the same file.
# Started here, not in $(...), so that their pids reach the cleanup (a subshell's would be lost).
start_node() { # start_node CONFIG VAR: sets VAR to the port
  local port; port=$(free_port)
  prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --web.config.file="$work/$1" \
    --collector.disable-defaults --collector.loadavg > "$work/node-$1.log" 2>&1 &
  pids+=($!)
  printf -v "$2" '%s' "$port"
}
start_connmon() { # start_connmon CONFIG VAR
  local port; port=$(free_port)
  java -jar "$jar" serve --listen "127.0.0.1:$port" --web.config.file "$work/$1" > "$work/connmon-$1.log" 2>&1 &
  pids+=($!)
  printf -v "$2" '%s' "$port"
}
answers() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
up() { [ "$(answers -k "https://127.0.0.1:$1/metrics")" != 000 ]; }

start_node auth.yml node_auth
start_connmon auth.yml connmon_auth
start_node mtls.yml node_mtls
start_connmon mtls.yml connmon_mtls
for p in "$node_auth" "$connmon_auth"; do
  wait_for 60 up "$p" || fail "nothing answers on 127.0.0.1:$p"
done
for p in "$node_mtls" "$connmon_mtls"; do
  wait_for 60 bash -c "openssl s_client -connect 127.0.0.1:$p </dev/null >/dev/null 2>&1 || \
    ss -tlnH | grep -q '127.0.0.1:$p '" || fail "nothing listens on 127.0.0.1:$p"
done

# --- Basic auth over TLS: both servers, same answers.
for who in node_exporter connmon; do
  if [ $who = connmon ]; then port=$connmon_auth; else port=$node_auth; fi
  url="https://127.0.0.1:$port/metrics"
  c=(--cacert tls/ca.crt)
  code=$(answers "${c[@]}" "$url")
  check "$who: 401 without credentials (got $code)" [ "$code" = 401 ]
  curl -s -D "$work/h-$who" -o /dev/null "${c[@]}" -u "prometheus:wrong" "$url"
  check "$who: 401 with a wrong password, with WWW-Authenticate: Basic" \
    bash -c "head -1 '$work/h-$who' | grep -q ' 401' && grep -qi '^www-authenticate: Basic' '$work/h-$who'"
  code=$(answers "${c[@]}" -u "mallory:$password" "$url")
  check "$who: 401 for an unknown user (got $code)" [ "$code" = 401 ]
  code=$(answers "${c[@]}" -u "prometheus:$password" "$url")
  check "$who: 200 with the right credentials (got $code)" [ "$code" = 200 ]
  code=$(answers "${c[@]}" "https://127.0.0.1:$port/")
  check "$who: the landing page asks for credentials too (got $code)" [ "$code" = 401 ]
  check "$who: TLS 1.2 is accepted" \
    bash -c "openssl s_client -connect 127.0.0.1:$port -tls1_2 </dev/null 2>/dev/null | grep -q 'Protocol *: TLSv1.2'"
  # SECLEVEL=0 so that the client really offers TLS 1.1 and the refusal is the server's.
  check "$who: TLS 1.1 is refused" \
    bash -c "! openssl s_client -connect 127.0.0.1:$port -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >/dev/null 2>&1"
  echo "$who $(answers "${c[@]}" "$url") $(answers "${c[@]}" -u prometheus:wrong "$url") \
$(answers "${c[@]}" -u "prometheus:$password" "$url")" >> "$work/answers"
done
check "node_exporter and connmon give the same answers ($(awk '{$1=""; print}' "$work/answers" | paste -sd'|'))" \
  bash -c "[ \"\$(awk '{\$1=\"\"; print}' '$work/answers' | sort -u | wc -l)\" -eq 1 ]"

# Plain HTTP to the TLS port: both answer 400 in clear text, as Go's net/http does.
for who in node_exporter connmon; do
  if [ $who = connmon ]; then port=$connmon_auth; else port=$node_auth; fi
  curl -s --max-time 10 "http://127.0.0.1:$port/metrics" -o "$work/plain-$who" -w '%{http_code}' > "$work/plain-$who.code"
  check "$who: plain HTTP to the TLS port answers 400 \"$(cat "$work/plain-$who")\"" \
    bash -c "[ \"\$(cat '$work/plain-$who.code')\" = 400 ] && grep -q 'Client sent an HTTP request to an HTTPS server' '$work/plain-$who'"
done
check "node_exporter and connmon answer plain HTTP the same" cmp -s "$work/plain-node_exporter" "$work/plain-connmon"

# --- Mutual TLS (RequireAndVerifyClientCert): both servers, same answers.
for who in node_exporter connmon; do
  if [ $who = connmon ]; then port=$connmon_mtls; else port=$node_mtls; fi
  url="https://127.0.0.1:$port/metrics"
  code=$(answers --cacert tls/ca.crt "$url")
  check "$who: mTLS refuses a client without a certificate (got $code)" [ "$code" = 000 ]
  code=$(answers --cacert tls/ca.crt --cert tls/stranger.crt --key tls/stranger.key "$url")
  check "$who: mTLS refuses a certificate from another CA (got $code)" [ "$code" = 000 ]
  code=$(answers --cacert tls/ca.crt --cert tls/client.crt --key tls/client.key "$url")
  check "$who: mTLS accepts the CA's client certificate (got $code)" [ "$code" = 200 ]
done

# --- A changed password takes effect without a restart, in both.
new_hash=$(htpasswd -nbBC 10 "" "rotated" | tr -d ':\n')
sed "s|prometheus: .*|prometheus: $new_hash|" auth.yml > auth.yml.new && mv auth.yml.new auth.yml
for who in node_exporter connmon; do
  if [ $who = connmon ]; then port=$connmon_auth; else port=$node_auth; fi
  url="https://127.0.0.1:$port/metrics"
  old=$(answers --cacert tls/ca.crt -u "prometheus:$password" "$url")
  new=$(answers --cacert tls/ca.crt -u "prometheus:rotated" "$url")
  check "$who: a changed password works at once, the old one no more (old $old, new $new)" \
    [ "$old" = 401 -a "$new" = 200 ]
done
check "connmon logs the reload" grep -q "web config $work/auth.yml reloaded" "$work/connmon-auth.yml.log"
check "connmon never logs a credential" bash -c "! grep -qE 'rotated|e2e secret|\\\$2y\\\$' '$work/connmon-auth.yml.log'"

# --- A bad file stops connmon at start with one line naming file and key.
printf 'tls_server_config:\n  cert_file: tls/server.crt\n  key_file: tls/server.key\n  cert_fiel: x\n' > bad.yml
timeout 30 java -jar "$jar" serve --listen "127.0.0.1:$(free_port)" --web.config.file "$work/bad.yml" \
  > /dev/null 2> bad.err
rc=$?
check "connmon refuses an unknown key at start: exit $rc, one line naming file and key ($(head -c 200 bad.err))" \
  bash -c "[ $rc -eq 2 ] && [ \$(wc -l < bad.err) -eq 1 ] && grep -q '$work/bad.yml' bad.err && grep -q cert_fiel bad.err"

# --- A real Prometheus scrapes connmon over HTTPS: basic auth, and a client certificate.
printf '%s' rotated > prometheus.password
prom_port=$(free_port)
cat > prometheus.yml <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: connmon-basic-auth
    scheme: https
    tls_config:
      ca_file: $work/tls/ca.crt
    basic_auth:
      username: prometheus
      password_file: $work/prometheus.password
    static_configs:
      - targets: ['127.0.0.1:$connmon_auth']
  - job_name: connmon-mtls
    scheme: https
    tls_config:
      ca_file: $work/tls/ca.crt
      cert_file: $work/tls/client.crt
      key_file: $work/tls/client.key
    static_configs:
      - targets: ['127.0.0.1:$connmon_mtls']
YAML
check "promtool accepts the Prometheus configuration" bash -c "promtool check config prometheus.yml >/dev/null 2>&1"
prometheus --config.file=prometheus.yml --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" > prometheus.log 2>&1 &
pids+=($!)
query() { curl -s --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"; }
for job in connmon-basic-auth connmon-mtls; do
  if wait_for 60 bash -c "curl -s --max-time 5 'http://127.0.0.1:$prom_port/api/v1/query' \
      --data-urlencode 'query=up{job=\"$job\"}' | jq -e '.data.result[0].value[1] == \"1\"'"; then
    pass "Prometheus scrapes connmon ($job, scheme https): up == 1"
  else
    fail "Prometheus scrapes connmon ($job, scheme https): up is $(query "up{job=\"$job\"}" | jq -c '.data.result')"
  fi
done
check "Prometheus stores connmon's own metrics from the HTTPS scrape" wait_for 30 \
  bash -c "curl -s 'http://127.0.0.1:$prom_port/api/v1/query' --data-urlencode 'query=connmon_up{job=\"connmon-basic-auth\"}' | jq -e '.data.result | length == 1' >/dev/null"

finish
