output "secret_id" {
  description = "The Lockbox secret's id: the only thing about the password that reaches the VMs."
  value       = yandex_lockbox_secret.this.id
}

output "key" {
  description = "The payload entry that holds the password."
  value       = var.key
}

output "reader_bindings" {
  description = "Ids of the payloadViewer bindings (for depends_on: a VM must not start before it may read)."
  value       = [for m in yandex_lockbox_secret_iam_member.reader : m.id]
}

output "grants" {
  description = "Who may read the payload: reader name => \"<role> <member> <secret id>\" (checked by the tests)."
  value       = { for k, m in yandex_lockbox_secret_iam_member.reader : k => "${m.role} ${m.member} ${m.secret_id}" }
}
