# One security group per tier, each admitting only what that tier serves:
#   proxy       80/443 TCP (443 UDP for HTTP/3 when enabled) from anywhere, its health port from the
#               balancer's and the group's health checkers (and Prometheus);
#   app         the SHS port from the proxies, the group's health checks (and Prometheus);
#   db          PostgreSQL from the apps (and the group's health checks); its exporters' ports (node-exporter,
#               postgres_exporter: db_metrics_ports) from the monitoring node only;
#   monitoring  Prometheus and Grafana from admin_cidrs only.
# SSH (22) only from ssh_cidrs, closed by default. Egress is open: VMs pull images and call Lockbox,
# Certificate Manager and IAM through the NAT gateway.
locals {
  # Instance-group and network-load-balancer health checks arrive from these ranges (198.18.235.0/24,
  # 198.18.248.0/24); the group's own checks are assumed to come from them too (see terraform/README.md).
  health_checks = "loadbalancer_healthchecks"
  ssh           = [for c in var.ssh_cidrs : { cidr = c }]
  monitoring    = var.monitoring ? [1] : []
}

resource "yandex_vpc_security_group" "proxy" {
  name        = "${var.name}-proxy"
  description = "SHS proxies: HTTP/HTTPS from the internet, health checks"
  network_id  = var.network_id
  labels      = var.labels

  ingress {
    description    = "HTTP"
    protocol       = "TCP"
    port           = var.proxy_http_port
    v4_cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description    = "HTTPS"
    protocol       = "TCP"
    port           = var.proxy_https_port
    v4_cidr_blocks = ["0.0.0.0/0"]
  }

  dynamic "ingress" {
    for_each = var.http3_udp ? [1] : []
    content {
      description    = "HTTP/3 (QUIC)"
      protocol       = "UDP"
      port           = var.proxy_https_port
      v4_cidr_blocks = ["0.0.0.0/0"]
    }
  }

  ingress {
    description       = "health checks of the load balancer and the instance group"
    protocol          = "TCP"
    port              = var.proxy_health_port
    predefined_target = local.health_checks
  }

  dynamic "ingress" {
    for_each = local.monitoring
    content {
      description       = "Prometheus"
      protocol          = "TCP"
      port              = var.proxy_health_port
      security_group_id = yandex_vpc_security_group.monitoring[0].id
    }
  }

  dynamic "ingress" {
    for_each = local.ssh
    content {
      description    = "SSH"
      protocol       = "TCP"
      port           = 22
      v4_cidr_blocks = [ingress.value.cidr]
    }
  }

  egress {
    description    = "registry, Certificate Manager, the apps"
    protocol       = "ANY"
    v4_cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "yandex_vpc_security_group" "app" {
  name        = "${var.name}-app"
  description = "SHS instances: only from the proxies and health checks"
  network_id  = var.network_id
  labels      = var.labels

  ingress {
    description       = "the proxies"
    protocol          = "TCP"
    port              = var.app_port
    security_group_id = yandex_vpc_security_group.proxy.id
  }

  ingress {
    description       = "health checks of the instance group"
    protocol          = "TCP"
    port              = var.app_port
    predefined_target = local.health_checks
  }

  dynamic "ingress" {
    for_each = local.monitoring
    content {
      description       = "Prometheus"
      protocol          = "TCP"
      port              = var.app_port
      security_group_id = yandex_vpc_security_group.monitoring[0].id
    }
  }

  dynamic "ingress" {
    for_each = local.ssh
    content {
      description    = "SSH"
      protocol       = "TCP"
      port           = 22
      v4_cidr_blocks = [ingress.value.cidr]
    }
  }

  egress {
    description    = "registry, Lockbox, PostgreSQL"
    protocol       = "ANY"
    v4_cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "yandex_vpc_security_group" "db" {
  name        = "${var.name}-db"
  description = "PostgreSQL: only from the SHS instances"
  network_id  = var.network_id
  labels      = var.labels

  ingress {
    description       = "the SHS instances"
    protocol          = "TCP"
    port              = var.db_port
    security_group_id = yandex_vpc_security_group.app.id
  }

  ingress {
    description       = "health checks of the instance group"
    protocol          = "TCP"
    port              = var.db_port
    predefined_target = local.health_checks
  }

  dynamic "ingress" {
    for_each = var.monitoring ? toset(var.db_metrics_ports) : toset([])
    content {
      description       = "Prometheus (exporters)"
      protocol          = "TCP"
      port              = ingress.value
      security_group_id = yandex_vpc_security_group.monitoring[0].id
    }
  }

  dynamic "ingress" {
    for_each = local.ssh
    content {
      description    = "SSH"
      protocol       = "TCP"
      port           = 22
      v4_cidr_blocks = [ingress.value.cidr]
    }
  }

  egress {
    description    = "registry, Lockbox"
    protocol       = "ANY"
    v4_cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "yandex_vpc_security_group" "monitoring" {
  count = var.monitoring ? 1 : 0

  name        = "${var.name}-monitoring"
  description = "Prometheus and Grafana: only from admin_cidrs"
  network_id  = var.network_id
  labels      = var.labels

  dynamic "ingress" {
    for_each = { for pair in setproduct(var.admin_cidrs, [3000, 9090]) : "${pair[0]}:${pair[1]}" => { cidr = pair[0], port = pair[1] } }
    content {
      description    = ingress.value.port == 3000 ? "Grafana" : "Prometheus"
      protocol       = "TCP"
      port           = ingress.value.port
      v4_cidr_blocks = [ingress.value.cidr]
    }
  }

  dynamic "ingress" {
    for_each = local.ssh
    content {
      description    = "SSH"
      protocol       = "TCP"
      port           = 22
      v4_cidr_blocks = [ingress.value.cidr]
    }
  }

  egress {
    description    = "scrapes, registry"
    protocol       = "ANY"
    v4_cidr_blocks = ["0.0.0.0/0"]
  }
}
