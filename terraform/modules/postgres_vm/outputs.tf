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
