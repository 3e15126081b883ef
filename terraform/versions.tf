terraform {
  # OpenTofu 1.10.6 is what the deploy action installs and what tests/ run with; terraform 1.11 also works.
  required_version = ">= 1.6"

  required_providers {
    yandex = {
      source = "yandex-cloud/yandex"
      # The release whose schema this configuration is validated against (../shared/yandex-provider).
      version = "~> 0.219.0"
    }
  }

  # Settings come from -backend-config (.github/scripts/state-backend.sh): Object Storage, YDB lock table.
  backend "s3" {}
}

# Credentials and the cloud/folder come from the environment: YC_TOKEN (the deploy action sets it from the
# service account's key or OIDC), YC_CLOUD_ID, YC_FOLDER_ID.
provider "yandex" {
  zone = var.zones[0]
}
