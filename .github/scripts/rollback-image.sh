#!/usr/bin/env bash
# Which images a rollback deploys, as "image=<reference>" and "proxy-image=<reference>" lines for
# GITHUB_OUTPUT. image: the requested digest in the registry, or for "previous" the newest good image other
# than the current one (last-good's previous-image). proxy-image: the requested proxy digest; else the proxy
# image recorded with the chosen image ("previous"), else the one recorded with the current good image.
# Input (environment): REQUESTED (sha256:<64 hex> or previous), REQUESTED_PROXY (sha256:<64 hex> or empty),
# PREVIOUS, PREVIOUS_PROXY, CURRENT_PROXY (last-good's outputs), REGISTRY_ID (vars.YC_REGISTRY_ID).
set -euo pipefail
digest_re='^sha256:[0-9a-f]{64}$'
requested=$(printf '%s' "${REQUESTED:-}" | tr -d '[:space:]')
requested_proxy=$(printf '%s' "${REQUESTED_PROXY:-}" | tr -d '[:space:]')
need_registry() {
  if [ -z "${REGISTRY_ID:-}" ]; then
    echo "::error::repository variable YC_REGISTRY_ID is not set (docs/yandex-cloud-setup.md)" >&2
    exit 1
  fi
}
if [ "$requested" = "previous" ]; then
  if [ -z "${PREVIOUS:-}" ]; then
    echo "::error::no earlier good image is recorded for this environment; give a digest (sha256:...) instead" >&2
    exit 1
  fi
  image=$PREVIOUS
  proxy=${PREVIOUS_PROXY:-${CURRENT_PROXY:-}}
else
  if ! [[ "$requested" =~ $digest_re ]]; then
    echo "::error::digest must be sha256:<64 lowercase hex digits> or \"previous\", got \"${REQUESTED:-}\"" >&2
    exit 1
  fi
  need_registry
  image="cr.yandex/${REGISTRY_ID}/shs@${requested}"
  proxy=${CURRENT_PROXY:-}
fi
if [ -n "$requested_proxy" ]; then
  if ! [[ "$requested_proxy" =~ $digest_re ]]; then
    echo "::error::proxy digest must be sha256:<64 lowercase hex digits> or empty, got \"${REQUESTED_PROXY}\"" >&2
    exit 1
  fi
  need_registry
  proxy="cr.yandex/${REGISTRY_ID}/shs-proxy@${requested_proxy}"
fi
if [ -z "$proxy" ]; then
  echo "::error::no proxy image is recorded for this environment (a record older than proxy images); give the proxy digest too" >&2
  exit 1
fi
echo "image=${image}"
echo "proxy-image=${proxy}"
