# The network every VM lives in: one VPC, a subnet per zone, and a NAT gateway with its route table, so VMs
# with no public address still reach Container Registry, Lockbox, Certificate Manager and the IAM API.
resource "yandex_vpc_network" "this" {
  name   = var.name
  labels = var.labels
}

resource "yandex_vpc_gateway" "nat" {
  name   = "${var.name}-nat"
  labels = var.labels
  shared_egress_gateway {}
}

resource "yandex_vpc_route_table" "egress" {
  name       = "${var.name}-egress"
  network_id = yandex_vpc_network.this.id
  labels     = var.labels

  static_route {
    destination_prefix = "0.0.0.0/0"
    gateway_id         = yandex_vpc_gateway.nat.id
  }
}

resource "yandex_vpc_subnet" "zone" {
  for_each = var.subnets

  name           = "${var.name}-${each.key}"
  zone           = each.key
  network_id     = yandex_vpc_network.this.id
  v4_cidr_blocks = [each.value]
  route_table_id = yandex_vpc_route_table.egress.id
  labels         = var.labels
}
