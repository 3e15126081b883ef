#!/usr/bin/env bash
# Builds the pinned OpenTofu of tools/opentofu (from the Go module proxy, checked by go.sum) once, caches it
# outside the repository by version and go.sum, and prints the binary's path. The deploy tests run it.
set -euo pipefail
cd "$(dirname "$0")/../tools/opentofu"
if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then PATH=/usr/local/go/bin:$PATH; else
    echo "build-opentofu: Go is required (https://go.dev/dl, or Debian's golang-go 1.24+)" >&2; exit 1; fi
fi
version=$(awk '$1 == "github.com/opentofu/opentofu" { print $2 }' go.mod)
[ -n "$version" ] || { echo "build-opentofu: tools/opentofu/go.mod requires no github.com/opentofu/opentofu" >&2; exit 1; }
key=$(sha256sum go.mod go.sum | sha256sum | cut -c1-12)
if [ -z "${PIPELINE_TOOL_CACHE:-}" ] && [ -n "${SHS_TOOL_CACHE:-}" ]; then
  echo "warning: SHS_TOOL_CACHE is deprecated (SHS_* variables belong to the service): set PIPELINE_TOOL_CACHE instead; SHS_TOOL_CACHE will stop working in the next release" >&2
fi
out="${PIPELINE_TOOL_CACHE:-${SHS_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shs-delivery/tools}}/opentofu-build/$version-$key/tofu"
if [ ! -x "$out" ]; then
  echo "build-opentofu: go build OpenTofu $version (a few minutes, once)" >&2
  mkdir -p "$(dirname "$out")"
  go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$out.tmp" github.com/opentofu/opentofu/cmd/tofu
  mv "$out.tmp" "$out"
fi
echo "$out"
