# The network module: a subnet per zone, every one routed through the NAT gateway; bad zones and ranges refused.
mock_provider "yandex" {}

variables {
  name    = "shs-test"
  subnets = { "ru-central1-a" = "10.128.1.0/24", "ru-central1-b" = "10.128.2.0/24" }
}

run "a_subnet_per_zone_behind_the_nat" {
  command = plan

  assert {
    condition     = toset(keys(yandex_vpc_subnet.zone)) == toset(["ru-central1-a", "ru-central1-b"])
    error_message = "one subnet per zone"
  }

  assert {
    condition     = yandex_vpc_subnet.zone["ru-central1-b"].zone == "ru-central1-b" && yandex_vpc_subnet.zone["ru-central1-b"].v4_cidr_blocks == tolist(["10.128.2.0/24"])
    error_message = "each subnet in its zone with its range"
  }

  assert {
    condition     = alltrue([for s in yandex_vpc_subnet.zone : s.route_table_id == yandex_vpc_route_table.egress.id])
    error_message = "every subnet routes through the egress route table"
  }

  assert {
    condition     = [for r in yandex_vpc_route_table.egress.static_route : r.destination_prefix] == ["0.0.0.0/0"] && one(yandex_vpc_route_table.egress.static_route).gateway_id == yandex_vpc_gateway.nat.id
    error_message = "the default route goes to the NAT gateway"
  }

  assert {
    condition     = length(yandex_vpc_gateway.nat.shared_egress_gateway) == 1
    error_message = "the gateway is a shared egress (NAT) gateway"
  }
}

run "refuses_a_zone_that_is_not_one" {
  command = plan

  variables {
    subnets = { "eu-west-1" = "10.128.1.0/24" }
  }

  expect_failures = [var.subnets]
}

run "refuses_a_range_that_is_not_one" {
  command = plan

  variables {
    subnets = { "ru-central1-a" = "10.128.1.0/30" }
  }

  expect_failures = [var.subnets]
}
