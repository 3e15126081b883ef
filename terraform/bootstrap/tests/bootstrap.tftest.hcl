# The state backend: a private, versioned bucket; the lock database protected from deletion; the state key's
# secret half written to Lockbox, never to this state.
mock_provider "yandex" {
  override_resource {
    target = yandex_ydb_database_serverless.lock
    values = { document_api_endpoint = "https://docapi.serverless.yandexcloud.net/ru-central1/b1gcloud/etnlock" }
  }
}

variables {
  folder_id = "b1g0123456789abcdefg"
  bucket    = "shs-state-example"
}

run "backend" {
  command = apply

  assert {
    condition     = one(yandex_storage_bucket.state.versioning).enabled == true && one(yandex_storage_bucket.state.anonymous_access_flags).read == false
    error_message = "the state bucket is versioned and private"
  }

  assert {
    condition     = yandex_ydb_database_serverless.lock.deletion_protection == true
    error_message = "the lock database refuses deletion"
  }

  assert {
    condition     = one(yandex_iam_service_account_static_access_key.state.output_to_lockbox).secret_id == yandex_lockbox_secret.state_key.id
    error_message = "the key's secret goes to Lockbox, not to the state"
  }

  assert {
    condition     = output.tf_state_lock_endpoint == "https://docapi.serverless.yandexcloud.net/ru-central1/b1gcloud/etnlock" && strcontains(output.create_lock_table_command, "--table-name shs-tfstate-lock") && strcontains(output.create_lock_table_command, "AttributeName=LockID,AttributeType=S")
    error_message = "the outputs are the repository variables, and the lock table's command"
  }
}

run "refuses_a_bad_bucket_name" {
  command = plan

  variables {
    bucket = "Not_A_Bucket"
  }

  expect_failures = [var.bucket]
}
