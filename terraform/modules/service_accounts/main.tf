# The service accounts made by hand (docs/yandex-cloud-setup.md, step 2), looked up by name: creating accounts
# and role bindings would need IAM administration rights in CI. One account per VM tier, so each VM holds only
# the roles its tier needs, plus the instance groups' own.
data "yandex_iam_service_account" "this" {
  for_each = var.names
  name     = each.value
}
