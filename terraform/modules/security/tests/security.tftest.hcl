# Who reaches whom: proxies from the internet (80/443 TCP; 443 UDP only with HTTP/3) and the health checkers;
# apps only from the proxies and the health checkers; PostgreSQL only from the apps (and its group's health
# check); SSH nowhere unless CIDRs are given; the monitoring node only from admin_cidrs.
mock_provider "yandex" {}

# The mock provider would give every group the same made-up id: give each its own, so that "from the proxies"
# cannot be confused with "from the monitoring node".
override_resource {
  target = yandex_vpc_security_group.proxy
  values = { id = "sg-proxy" }
}

override_resource {
  target = yandex_vpc_security_group.app
  values = { id = "sg-app" }
}

override_resource {
  target = yandex_vpc_security_group.db
  values = { id = "sg-db" }
}

override_resource {
  target = yandex_vpc_security_group.monitoring
  values = { id = "sg-monitoring" }
}

variables {
  name              = "shs-test"
  network_id        = "net-1"
  app_port          = 8080
  db_port           = 5432
  proxy_health_port = 9145
}

run "defaults" {
  command = plan

  assert {
    condition     = toset([for r in yandex_vpc_security_group.proxy.ingress : "${r.protocol}/${r.port}" if r.v4_cidr_blocks == tolist(["0.0.0.0/0"])]) == toset(["TCP/80", "TCP/443"])
    error_message = "the internet reaches the proxies on TCP 80 and 443 only"
  }

  assert {
    condition     = [for r in yandex_vpc_security_group.proxy.ingress : r.port if r.predefined_target == "loadbalancer_healthchecks"] == [9145]
    error_message = "the balancer's and the group's health checks reach the proxies' health port"
  }

  assert {
    condition = alltrue([
      for r in yandex_vpc_security_group.app.ingress :
      r.port == 8080 && length(coalesce(r.v4_cidr_blocks, [])) == 0 && (r.security_group_id == yandex_vpc_security_group.proxy.id || r.predefined_target == "loadbalancer_healthchecks")
    ]) && length(yandex_vpc_security_group.app.ingress) == 2
    error_message = "the app nodes take the SHS port from the proxies and the group's health checks, nothing else"
  }

  assert {
    condition = alltrue([
      for r in yandex_vpc_security_group.db.ingress :
      r.port == 5432 && length(coalesce(r.v4_cidr_blocks, [])) == 0 && (r.security_group_id == yandex_vpc_security_group.app.id || r.predefined_target == "loadbalancer_healthchecks")
    ]) && length(yandex_vpc_security_group.db.ingress) == 2
    error_message = "PostgreSQL takes connections from the app nodes only (plus its group's health check)"
  }

  assert {
    condition     = alltrue([for sg in [yandex_vpc_security_group.proxy, yandex_vpc_security_group.app, yandex_vpc_security_group.db] : alltrue([for r in sg.ingress : r.port != 22])])
    error_message = "SSH is closed by default"
  }

  assert {
    condition     = length(yandex_vpc_security_group.monitoring) == 0
    error_message = "no monitoring group unless asked"
  }
}

run "http3_opens_udp_443" {
  command = plan

  variables {
    http3_udp = true
  }

  assert {
    condition     = [for r in yandex_vpc_security_group.proxy.ingress : r.port if r.protocol == "UDP"] == [443]
    error_message = "HTTP/3 admits UDP 443 to the proxies"
  }
}

run "ssh_from_the_given_cidrs_only" {
  command = plan

  variables {
    ssh_cidrs = ["203.0.113.7/32"]
  }

  assert {
    condition = alltrue([
      for sg in [yandex_vpc_security_group.proxy, yandex_vpc_security_group.app, yandex_vpc_security_group.db] :
      [for r in sg.ingress : r.v4_cidr_blocks if r.port == 22] == [tolist(["203.0.113.7/32"])]
    ])
    error_message = "SSH opens on every tier, from the given CIDR only"
  }
}

run "monitoring_scrapes_and_admins_look" {
  command = plan

  variables {
    monitoring  = true
    admin_cidrs = ["198.51.100.0/24"]
  }

  assert {
    condition     = toset([for r in yandex_vpc_security_group.monitoring[0].ingress : r.port]) == toset([3000, 9090]) && alltrue([for r in yandex_vpc_security_group.monitoring[0].ingress : r.v4_cidr_blocks == tolist(["198.51.100.0/24"])])
    error_message = "Grafana and Prometheus only from admin_cidrs"
  }

  assert {
    condition     = length([for r in yandex_vpc_security_group.app.ingress : r if r.security_group_id == yandex_vpc_security_group.monitoring[0].id]) == 1 && length([for r in yandex_vpc_security_group.proxy.ingress : r if r.security_group_id == yandex_vpc_security_group.monitoring[0].id]) == 1
    error_message = "Prometheus reaches the app nodes and the proxies"
  }
}

run "only_the_monitoring_node_reaches_the_database_exporters" {
  command = plan

  variables {
    monitoring       = true
    admin_cidrs      = ["198.51.100.0/24"]
    db_metrics_ports = [9100, 9187]
  }

  assert {
    condition     = toset([for r in yandex_vpc_security_group.db.ingress : r.port if r.security_group_id == yandex_vpc_security_group.monitoring[0].id]) == toset([9100, 9187])
    error_message = "the monitoring node reaches node-exporter (9100) and postgres_exporter (9187) on the database VM"
  }

  assert {
    condition = alltrue([
      for r in yandex_vpc_security_group.db.ingress :
      length(coalesce(r.v4_cidr_blocks, [])) == 0 && (
        (r.port == 5432 && (r.security_group_id == yandex_vpc_security_group.app.id || r.predefined_target == "loadbalancer_healthchecks")) ||
        (contains([9100, 9187], r.port) && r.security_group_id == yandex_vpc_security_group.monitoring[0].id)
      )
    ]) && length(yandex_vpc_security_group.db.ingress) == 4
    error_message = "nothing else reaches the database tier: PostgreSQL from the apps and its health check, the exporters from the monitoring tier"
  }
}

run "no_exporter_ports_without_monitoring" {
  command = plan

  variables {
    db_metrics_ports = [9100, 9187]
  }

  assert {
    condition     = length(yandex_vpc_security_group.db.ingress) == 2
    error_message = "without the monitoring node, the exporters' ports stay closed"
  }
}

run "refuses_a_bad_ssh_cidr" {
  command = plan

  variables {
    ssh_cidrs = ["everyone"]
  }

  expect_failures = [var.ssh_cidrs]
}
