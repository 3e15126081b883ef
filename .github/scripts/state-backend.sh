#!/usr/bin/env bash
# Prints the terraform/OpenTofu s3 backend settings for an environment's state: Object Storage for the state,
# a YDB Document API table for the lock (docs/yandex-cloud-setup.md, "State bucket and lock table").
# Usage: TF_STATE_BUCKET=... TF_STATE_LOCK_TABLE=... TF_STATE_LOCK_ENDPOINT=... state-backend.sh <environment>
set -euo pipefail
environment=${1:?usage: state-backend.sh <environment>}
missing=()
for v in TF_STATE_BUCKET TF_STATE_LOCK_TABLE TF_STATE_LOCK_ENDPOINT; do [ -n "${!v:-}" ] || missing+=("$v"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "::error::repository variables not set: ${missing[*]} (docs/yandex-cloud-setup.md)" >&2
  exit 1
fi
cat <<HCL
bucket                      = "${TF_STATE_BUCKET}"
key                         = "shs/${environment}.tfstate"
region                      = "ru-central1"
endpoints                   = { s3 = "https://storage.yandexcloud.net", dynamodb = "${TF_STATE_LOCK_ENDPOINT}" }
dynamodb_table              = "${TF_STATE_LOCK_TABLE}"
skip_region_validation      = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_s3_checksum            = true
HCL
