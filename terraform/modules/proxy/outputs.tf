output "group_id" {
  description = "The instance group's id (the deploy waits for its rollout)."
  value       = yandex_compute_instance_group.proxy.id
}

output "target_group_id" {
  description = "The load balancer target group the group keeps its VMs in."
  value       = yandex_compute_instance_group.proxy.load_balancer[0].target_group_id
}

output "addresses" {
  description = "The proxies' internal addresses."
  value       = [for tag in sort(keys(var.nodes)) : var.nodes[tag].ip]
}

output "compose" {
  description = "The rendered docker-compose spec (checked by the tests)."
  value       = local.compose
}

output "user_data" {
  description = "The rendered cloud-init user-data (checked by the tests)."
  value       = module.user_data.user_data
}
