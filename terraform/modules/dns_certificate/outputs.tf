output "certificate_id" {
  description = "The Certificate Manager certificate the proxies fetch."
  value       = yandex_cm_certificate.this.id
}

output "url" {
  description = "http://<domain>"
  value       = "http://${trimsuffix(var.domain, ".")}"
}

output "https_url" {
  description = "https://<domain>"
  value       = "https://${trimsuffix(var.domain, ".")}"
}

output "zone_id" {
  description = "The DNS zone holding the records."
  value       = local.zone_id
}
