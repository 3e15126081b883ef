# What the deploy action reads (url, https_url, instance_group_ids, folder_id) and what people need next.

output "url" {
  description = "The public URL the smoke checks use: http://<domain>, or http://<balancer address>."
  value       = var.domain != "" ? module.dns_certificate[0].url : "http://${module.load_balancer.address}"
}

output "https_url" {
  description = "The HTTPS entry point with a publicly trusted certificate (https://<domain>); empty without a domain (the proxies then serve a self-signed certificate)."
  value       = var.domain != "" ? module.dns_certificate[0].https_url : ""
}

output "instance_group_ids" {
  description = "Name => instance group id: the groups whose rollout the deploy waits for."
  value = merge(
    { proxy = module.proxy.group_id, app = module.app.group_id },
    var.database == "vm" ? { db = module.postgres_vm[0].group_id } : {},
    var.monitoring ? { monitoring = module.monitoring[0].group_id } : {},
  )
}

output "folder_id" {
  description = "The folder everything is in (for console links)."
  value       = module.network.folder_id
}

output "load_balancer_address" {
  description = "The balancer's public IPv4 address (point DNS here if the domain's zone is elsewhere)."
  value       = module.load_balancer.address
}

output "database_secret_id" {
  description = "The Lockbox secret holding the database password (its id only; read the value with yc lockbox payload get)."
  value       = local.database.secret_id
}

output "app_upstreams" {
  description = "The SHS nodes' internal host:port, as the proxies see them."
  value       = module.app.upstreams
}

output "monitoring_address" {
  description = "The monitoring node's public address (Prometheus :9090, Grafana :3000); empty when off or not yet running."
  value       = var.monitoring ? module.monitoring[0].public_address : ""
}

output "grafana_url" {
  description = "Grafana on the monitoring node (log in as admin; the password is in the grafana_admin_secret_id secret); empty when off or not yet running."
  value       = var.monitoring ? module.monitoring[0].grafana_url : ""
}

output "grafana_admin_secret_id" {
  description = "The Lockbox secret holding Grafana's admin password (its id only; read the value with yc lockbox payload get); empty when monitoring is off."
  value       = var.monitoring ? module.monitoring[0].grafana_secret_id : ""
}
