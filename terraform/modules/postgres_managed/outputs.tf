output "cluster_id" {
  description = "The cluster's id."
  value       = yandex_mdb_postgresql_cluster.this.id
}

output "hosts" {
  description = "host:port of every host (6432, through the cluster's connection pooler); SHS fails over between them."
  value       = [for h in yandex_mdb_postgresql_cluster.this.host : "${h.fqdn}:6432"]
}

output "secret_id" {
  description = "The Lockbox secret Connection Manager keeps the password in."
  value       = local.secret_id
}

output "secret_key" {
  description = "The entry of that secret holding the password."
  value       = local.secret_key
}

output "reader_bindings" {
  description = "Ids of the payloadViewer bindings."
  value       = [for m in yandex_lockbox_secret_iam_member.reader : m.id]
}
