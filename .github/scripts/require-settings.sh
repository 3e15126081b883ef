#!/usr/bin/env bash
# Fails with one clear error when repository variables or secrets a workflow needs are empty, instead of a
# confusing failure later (an image pushed to cr.yandex//shs, a provider without a folder).
# Usage: NAME=value ... require-settings.sh NAME...
set -euo pipefail
missing=()
for v in "$@"; do [ -n "${!v:-}" ] || missing+=("$v"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "::error::not set: ${missing[*]} (repository or production environment variables and secrets: docs/yandex-cloud-setup.md)" >&2
  exit 1
fi
echo "settings present: $*"
