#!/usr/bin/env bash
# Which image a rollback deploys, as "image=<reference>" for GITHUB_OUTPUT: the requested digest in the
# registry, or for "previous" the newest good image other than the current one (last-good's previous-image).
# Input (environment): REQUESTED (sha256:<64 hex> or previous), PREVIOUS (last-good's previous-image),
# REGISTRY_ID (vars.YC_REGISTRY_ID).
set -euo pipefail
requested=$(printf '%s' "${REQUESTED:-}" | tr -d '[:space:]')
if [ "$requested" = "previous" ]; then
  if [ -z "${PREVIOUS:-}" ]; then
    echo "::error::no earlier good image is recorded for this environment; give a digest (sha256:...) instead" >&2
    exit 1
  fi
  echo "image=${PREVIOUS}"
  exit 0
fi
if ! [[ "$requested" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::digest must be sha256:<64 lowercase hex digits> or \"previous\", got \"${REQUESTED:-}\"" >&2
  exit 1
fi
if [ -z "${REGISTRY_ID:-}" ]; then
  echo "::error::repository variable YC_REGISTRY_ID is not set (docs/yandex-cloud-setup.md)" >&2
  exit 1
fi
echo "image=cr.yandex/${REGISTRY_ID}/shs@${requested}"
