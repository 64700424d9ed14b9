#!/bin/sh
# Compose mounts each secret at /run/secrets/<VARIABLE>; the services read the environment only.
set -eu
for file in "${SECRETS_DIR:-/run/secrets}"/*; do
  [ -f "$file" ] || continue
  name=$(basename "$file")
  value=$(cat "$file")
  export "$name=$value"
done
exec "$@"
