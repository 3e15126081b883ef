output "address" {
  description = "The public IPv4 address."
  value       = yandex_vpc_address.this.external_ipv4_address[0].address
}

output "id" {
  description = "The balancer's id."
  value       = yandex_lb_network_load_balancer.this.id
}
