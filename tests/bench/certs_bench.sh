#!/usr/bin/env bash
# How long `lampi-fleet certs` takes for a big fleet: 100,000 lamps by default, signed by
# a P-256 CA (what --new-ca makes) and by an RSA-2048 CA (what the course's openssl
# commands make), then `lampi-fleet validate` checking every one of them.
#
#   tests/bench/certs_bench.sh [BINARY] [LAMPS]
#
# Prints wall and CPU seconds and certificates a second for each; docs/benchmarks.md
# records the figures. Needs ~2 kB of disk per lamp under $TMPDIR (removed at the end).
set -euo pipefail
bin=${1:-build/fleet/lampi-fleet}
lamps=${2:-100000}
work=$(mktemp -d "${TMPDIR:-/tmp}/lampi-certs-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

measure() {  # LABEL COMMAND...: one line of figures
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    cat "$work/err" >&2; exit 1; }
  end=$(date +%s.%N)
  read -r user sys rss <"$work/time"
  awk -v l="$label" -v s="$start" -v e="$end" -v u="$user" -v y="$sys" -v r="$rss" -v n="$lamps" \
    'BEGIN { w = e - s; printf "%-34s %8.1f s wall %8.1f s CPU %9.0f /s %7.0f MB RSS\n", l, w, u + y, n / w, r / 1024 }'
}

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/rsa_ca.key" -out "$work/rsa_ca.crt" \
  -days 2 -subj /CN=rsa-ca >/dev/null 2>&1
echo "lampi-fleet certs, $lamps lamps, $(nproc) cores"
measure "certs --new-ca (P-256 CA)" "$bin" certs -n "$lamps" --new-ca --out "$work/p256"
measure "certs --ca-cert (RSA-2048 CA)" "$bin" certs -n "$lamps" --ca-cert "$work/rsa_ca.crt" \
  --ca-key "$work/rsa_ca.key" --out "$work/rsa"
measure "validate (every certificate checked)" "$bin" validate -n "$lamps" -b mqtts://localhost \
  --ca-file "$work/p256/lampi_ca.crt" --cert-template "$work/p256/{id}_broker.crt" \
  --key-template "$work/p256/{id}_broker.key"
echo "disk: $(du -sh "$work/p256" | cut -f1) for $lamps lamps"
