output "group_id" {
  description = "The instance group's id (the deploy waits for its rollout)."
  value       = yandex_compute_instance_group.app.id
}

output "upstreams" {
  description = "host:port of every node, for the proxies."
  value       = [for tag in sort(keys(var.nodes)) : "${var.nodes[tag].ip}:${var.port}"]
}

output "compose" {
  description = "The rendered docker-compose spec (checked by the tests)."
  value       = local.compose
}

output "user_data" {
  description = "The rendered cloud-init user-data (checked by the tests)."
  value       = module.user_data.user_data
}
