#!/usr/bin/env bash
# Builds tools/yandex-schema-provider (the Yandex Cloud provider's schema served by a plugin of our own, with a
# fake cloud for plan and apply) once, caches it outside the repository by its go.mod, go.sum, Go sources and
# schema JSON, lays it out as an OpenTofu filesystem mirror (unpacked layout) and writes a CLI configuration
# that installs yandex-cloud/yandex from that mirror only. Prints the CLI configuration's path: use it as
# TF_CLI_CONFIG_FILE. Never commit a .terraform.lock.hcl made with it (its hashes are not the real provider's).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/tools/yandex-schema-provider"
if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then PATH=/usr/local/go/bin:$PATH; else
    echo "build-yandex-schema-provider: Go is required (https://go.dev/dl, or Debian's golang-go 1.24+)" >&2; exit 1; fi
fi
version=0.219.0
# The schema is committed (schema/, gzipped) and embedded: nothing outside the repository is read.
sources=()
for f in *.go; do [[ $f == *_test.go ]] || sources+=("$f"); done
key=$(sha256sum go.mod go.sum "${sources[@]}" schema/*.json.gz | sha256sum | cut -c1-12)
platform="$(go env GOOS)_$(go env GOARCH)"
dir="${PIPELINE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shs-delivery/tools}/yandex-schema-provider/$key"
mirror="$dir/mirror"
bin="$mirror/registry.opentofu.org/yandex-cloud/yandex/$version/$platform/terraform-provider-yandex_v$version"
if [ ! -x "$bin" ]; then
  echo "build-yandex-schema-provider: go build the schema-only yandex-cloud/yandex $version provider (once)" >&2
  mkdir -p "$(dirname "$bin")"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin.tmp" .
  mv "$bin.tmp" "$bin"
fi
if [ ! -f "$dir/tofurc" ]; then
  cat >"$dir/tofurc.tmp" <<TOFURC
# OpenTofu CLI configuration: yandex-cloud/yandex comes from the schema-only provider's filesystem mirror
# (scripts/build-yandex-schema-provider.sh), every other provider as usual.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.opentofu.org/yandex-cloud/yandex"]
  }
  direct {
    exclude = ["registry.opentofu.org/yandex-cloud/yandex"]
  }
}
TOFURC
  mv "$dir/tofurc.tmp" "$dir/tofurc"
fi
echo "$dir/tofurc"
