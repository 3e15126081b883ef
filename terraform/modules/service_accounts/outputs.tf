output "ids" {
  description = "Role => service account id."
  value       = { for role, sa in data.yandex_iam_service_account.this : role => sa.id }
}
