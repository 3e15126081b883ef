output "group_id" {
  description = "The instance group's id (the deploy waits for its rollout)."
  value       = yandex_compute_instance_group.db.id
}

output "hosts" {
  description = "host:port the SHS instances connect to."
  value       = ["${var.ip}:${var.port}"]
}

output "disk_id" {
  description = "The data disk (kept across re-creation of the VM)."
  value       = yandex_compute_disk.data.id
}

output "compose" {
  description = "The rendered docker-compose spec (checked by the tests)."
  value       = local.compose
}

output "user_data" {
  description = "The rendered cloud-init user-data (checked by the tests)."
  value       = module.user_data.user_data
}

output "metrics_targets" {
  description = "host:port of the exporters that run here, by Prometheus job (node, postgres); empty lists when they do not run."
  value = {
    node     = var.node_exporter_image == "" ? [] : ["${var.ip}:${var.node_exporter_port}"]
    postgres = var.postgres_exporter_image == "" ? [] : ["${var.ip}:${var.postgres_exporter_port}"]
  }
}
