terraform {
  required_version = ">= 1.6"

  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = "~> 0.219.0"
    }
  }

  # Local state, on purpose: this root makes the bucket the main root keeps its state in. Keep
  # terraform.tfstate (it holds ids, no secret) or import the resources again if it is lost.
}

# An administrator's credentials from the environment: YC_TOKEN=$(yc iam create-token), YC_CLOUD_ID,
# YC_FOLDER_ID.
provider "yandex" {}
