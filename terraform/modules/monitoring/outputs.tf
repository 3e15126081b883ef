output "group_id" {
  description = "The instance group's id."
  value       = yandex_compute_instance_group.monitoring.id
}

output "public_address" {
  description = "The node's public address once it runs (Prometheus on :9090, Grafana on :3000)."
  value       = try(yandex_compute_instance_group.monitoring.instances[0].network_interface[0].nat_ip_address, "")
}

output "grafana_url" {
  description = "Grafana's URL (log in as admin with the password in grafana_secret_id); empty until the node runs."
  value       = try("http://${yandex_compute_instance_group.monitoring.instances[0].network_interface[0].nat_ip_address}:${local.grafana_port}", "")
}

output "grafana_secret_id" {
  description = "The Lockbox secret holding Grafana's admin password (its id only)."
  value       = module.grafana_secret.secret_id
}

output "compose" {
  description = "The rendered docker-compose spec (checked by the tests)."
  value       = local.compose
}

output "user_data" {
  description = "The rendered cloud-init user-data (checked by the tests)."
  value       = module.user_data.user_data
}

output "files" {
  description = "Every file the node gets, path under /etc/shs-monitoring => content (prometheus.yml and monitoring/'s files); in the metadata as shs-monitoring-files (checked by the tests)."
  value       = local.files
}

output "files_sha256" {
  description = "The SHA-256 of the files (the metadata key shs-monitoring-files-sha256): changes with any file."
  value       = local.files_sha256
}

output "prometheus_config" {
  description = "The rendered prometheus.yml (checked by the tests)."
  value       = local.prometheus_config
}

output "metadata_bytes" {
  description = "The size of the node's metadata, against Yandex Cloud's 256 KiB limit."
  value       = local.metadata_bytes
}
