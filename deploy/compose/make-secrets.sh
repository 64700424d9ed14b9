#!/bin/sh
# Writes the secret files deploy/compose.yaml reads, once: an existing file is never replaced
# (a new gate_data_key would leave every waiting submission unreadable).
set -eu
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
# 32 random bytes, base64url with padding: also the form the gate's data key must have.
random() { head -c 32 /dev/urandom | base64 -w 0 | tr '+/' '-_'; }
write() { [ -s "$dir/$1" ] || printf '%s' "$2" > "$dir/$1"; }
write postgres_password "$(random)"
write database_url "postgresql://siak_gate:$(cat "$dir/postgres_password")@postgres:5432/siak_gate"
for name in gate_api_key gate_admin_token gate_data_key gate_applicant_key_secret monitor_admin_token; do
  write "$name" "$(random)"
done
echo "secrets in $dir (keep a copy of gate_data_key: without it no waiting submission can be read)"
