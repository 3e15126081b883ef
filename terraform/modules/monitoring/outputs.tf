output "group_id" {
  description = "The instance group's id."
  value       = yandex_compute_instance_group.monitoring.id
}

output "public_address" {
  description = "The node's public address once it runs (Prometheus on :9090, Grafana on :3000)."
  value       = try(yandex_compute_instance_group.monitoring.instances[0].network_interface[0].nat_ip_address, "")
}

output "compose" {
  description = "The rendered docker-compose spec (checked by the tests)."
  value       = local.compose
}
