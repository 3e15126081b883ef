# Optional (monitoring = true): one VM with Prometheus scraping every proxy and SHS node at their fixed
# addresses, and Grafana on top, reachable from admin_cidrs only (its own public address). The scrape targets
# and the Grafana datasource are written by cloud-init; dashboards and alert rules belong to the monitoring
# configuration of the repository and are provisioned the same way.
locals {
  prometheus_config = yamlencode({
    global = { scrape_interval = "15s", evaluation_interval = "15s" }
    scrape_configs = [
      { job_name = "shs", static_configs = [{ targets = var.app_targets, labels = { tier = "app" } }] },
      { job_name = "shs-proxy", static_configs = [{ targets = var.proxy_targets, labels = { tier = "proxy" } }] },
      { job_name = "prometheus", static_configs = [{ targets = ["127.0.0.1:9090"] }] },
    ]
  })

  grafana_datasource = yamlencode({
    apiVersion = 1
    datasources = [{
      name      = "Prometheus"
      type      = "prometheus"
      access    = "proxy"
      url       = "http://127.0.0.1:9090"
      isDefault = true
    }]
  })

  compose = templatefile("${path.module}/compose.yaml.tftpl", {
    prometheus_image = var.prometheus_image
    grafana_image    = var.grafana_image
    retention        = var.retention
  })
}

module "user_data" {
  source = "../cloud_init"

  ssh_public_key = var.ssh_public_key
  write_files = [
    { path = "/etc/shs-monitoring/prometheus/prometheus.yml", permissions = "0644", content = local.prometheus_config },
    { path = "/etc/shs-monitoring/grafana/datasources/prometheus.yml", permissions = "0644", content = local.grafana_datasource },
  ]
  # The images run as their own users (Prometheus 65534, Grafana 472): give them their data directory.
  bootcmd = [
    ["mkdir", "-p", "/var/lib/shs-monitoring/prometheus"],
    ["chown", "65534:65534", "/var/lib/shs-monitoring/prometheus"],
  ]
}

resource "yandex_compute_instance_group" "monitoring" {
  name                         = "${var.name}-monitoring"
  description                  = "Prometheus and Grafana for SHS"
  service_account_id           = var.group_service_account_id
  max_checking_health_duration = 600
  labels                       = var.labels

  instance_template {
    platform_id        = var.platform_id
    service_account_id = var.vm_service_account_id
    name               = "${var.name}-monitoring-{instance.index}"
    hostname           = "${var.name}-monitoring-{instance.index}"
    labels             = var.labels

    resources {
      cores         = 2
      memory        = 4
      core_fraction = 50
    }

    boot_disk {
      initialize_params {
        image_id = var.coi_image_id
        size     = 40
        type     = "network-hdd"
      }
    }

    network_interface {
      subnet_ids         = [var.subnet_id]
      security_group_ids = [var.security_group_id]
      nat                = true
    }

    metadata = {
      docker-compose     = local.compose
      user-data          = module.user_data.user_data
      serial-port-enable = "0"
    }

    metadata_options {
      gce_http_endpoint = 1
      gce_http_token    = 1
      aws_v1_http_token = 2
      aws_v2_http_token = 2
    }
  }

  scale_policy {
    fixed_scale {
      size = 1
    }
  }

  allocation_policy {
    zones = [var.zone]
  }

  deploy_policy {
    max_unavailable  = 1
    max_expansion    = 0
    startup_duration = 30
  }

  health_check {
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 6
    http_options {
      port = 9090
      path = "/-/healthy"
    }
  }
}
