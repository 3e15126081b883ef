output "proxy_id" {
  description = "The proxies' security group."
  value       = yandex_vpc_security_group.proxy.id
}

output "app_id" {
  description = "The SHS instances' security group."
  value       = yandex_vpc_security_group.app.id
}

output "db_id" {
  description = "PostgreSQL's security group (the VM or the managed cluster)."
  value       = yandex_vpc_security_group.db.id
}

output "monitoring_id" {
  description = "The monitoring node's security group; null when monitoring is off."
  value       = var.monitoring ? yandex_vpc_security_group.monitoring[0].id : null
}
