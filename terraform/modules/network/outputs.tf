output "network_id" {
  description = "The VPC's id."
  value       = yandex_vpc_network.this.id
}

output "subnet_ids" {
  description = "zone => subnet id."
  value       = { for z, s in yandex_vpc_subnet.zone : z => s.id }
}

output "subnet_cidrs" {
  description = "zone => the subnet's IPv4 CIDR."
  value       = { for z, s in yandex_vpc_subnet.zone : z => s.v4_cidr_blocks[0] }
}

output "folder_id" {
  description = "The folder the network was made in (the provider's folder)."
  value       = yandex_vpc_network.this.folder_id
}
