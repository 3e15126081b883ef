# The hand-made service accounts, looked up by name; a name that cannot be one is refused.
mock_provider "yandex" {
  override_data {
    target = data.yandex_iam_service_account.this
    values = { id = "aje-account" }
  }
}

variables {
  names = { app = "shs-app", groups = "shs-ig" }
}

run "looked_up_by_name" {
  command = plan

  assert {
    condition     = data.yandex_iam_service_account.this["app"].name == "shs-app" && output.ids["app"] == "aje-account" && length(output.ids) == 2
    error_message = "one lookup per account, by name; ids out by role"
  }
}

run "refuses_a_bad_name" {
  command = plan

  variables {
    names = { app = "Shs App" }
  }

  expect_failures = [var.names]
}
