# Run once, by hand, before the first deploy (docs/yandex-cloud-setup.md, step 5): the state backend of the
# main root module. A versioned bucket for the state, a serverless YDB database whose Document API holds the
# lock table, and the static access key of the state's service account, written straight into Lockbox
# (output_to_lockbox) so that its secret half is in no state file. The lock table itself is a document table,
# which this provider cannot make: the output create_lock_table_command does it.
resource "yandex_storage_bucket" "state" {
  bucket    = var.bucket
  folder_id = var.folder_id

  versioning {
    enabled = true
  }

  anonymous_access_flags {
    read        = false
    list        = false
    config_read = false
  }

  lifecycle_rule {
    id      = "old-state-versions"
    enabled = true
    noncurrent_version_expiration {
      days = var.keep_versions_days
    }
  }
}

resource "yandex_ydb_database_serverless" "lock" {
  name                = var.lock_database
  folder_id           = var.folder_id
  deletion_protection = true
}

resource "yandex_lockbox_secret" "state_key" {
  name        = "${var.lock_database}-key"
  folder_id   = var.folder_id
  description = "Static access key of ${var.state_service_account} for the terraform state (written by the bootstrap root)"
}

data "yandex_iam_service_account" "state" {
  name      = var.state_service_account
  folder_id = var.folder_id
}

resource "yandex_iam_service_account_static_access_key" "state" {
  service_account_id = data.yandex_iam_service_account.state.id
  description        = "terraform state of SHS (bucket ${var.bucket}, lock table ${var.lock_table})"

  output_to_lockbox {
    secret_id            = yandex_lockbox_secret.state_key.id
    entry_for_access_key = "access_key_id"
    entry_for_secret_key = "secret_access_key"
  }
}
