# The proxies: two (by default) VMs running the proxy image, registered by the group itself in the network load
# balancer's target group. One proxy was the single point of failure of the deployments this project descends
# from; with two, the balancer's checks (every 2 s) move traffic off a dead one.
#
# Rollout: in place, one proxy at a time (max_unavailable = 1, max_expansion = 0), at fixed addresses like the
# app nodes (Prometheus scrapes them there). Before the group stops a proxy it takes it out of the target group
# (CLOSING_TRAFFIC), and nginx finishes what is in flight (SIGQUIT).
# The load_balancer block is set once: the provider forces a new group, and the cloud refuses a change of its
# target group specification.
locals {
  zones = sort(distinct([for n in values(var.nodes) : n.zone]))

  environment = {
    PROXY_PEERS          = join(",", var.upstreams)
    PROXY_HTTP_LISTEN    = "0.0.0.0:${var.http_port}"
    PROXY_HTTPS_LISTEN   = "0.0.0.0:${var.https_port}"
    PROXY_METRICS_LISTEN = "0.0.0.0:${var.health_port}"
    PROXY_HTTP3          = tostring(var.http3)
    PROXY_CERTIFICATE_ID = var.certificate_id
  }

  compose = templatefile("${path.module}/compose.yaml.tftpl", {
    image         = var.image
    environment   = local.environment
    log_max_size  = "10m"
    log_max_files = 3
  })
}

module "user_data" {
  source = "../cloud_init"

  ssh_public_key = var.ssh_public_key
  # The proxy runs as a non-root user on the host's network: let it bind 80 and 443.
  bootcmd = [["sysctl", "-w", "net.ipv4.ip_unprivileged_port_start=${min(var.http_port, var.https_port)}"]]
}

resource "yandex_compute_instance_group" "proxy" {
  name                         = "${var.name}-proxy"
  description                  = "SHS proxies (nginx + Lua) behind the network load balancer"
  service_account_id           = var.group_service_account_id
  max_checking_health_duration = 300
  labels                       = var.labels

  instance_template {
    platform_id        = var.platform_id
    service_account_id = var.vm_service_account_id
    name               = "${var.name}-proxy-{instance.index}"
    hostname           = "${var.name}-proxy-{instance.index}"
    labels             = var.labels

    resources {
      cores         = var.cores
      memory        = var.memory
      core_fraction = var.core_fraction
    }

    boot_disk {
      initialize_params {
        image_id = var.coi_image_id
        size     = 30
        type     = "network-hdd"
      }
    }

    network_interface {
      subnet_ids         = [for z in local.zones : var.subnet_ids[z]]
      ip_address         = "{ip_{instance.tag}}"
      security_group_ids = [var.security_group_id]
      nat                = var.public_ip
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

    scheduling_policy {
      preemptible = var.preemptible
    }
  }

  variables = { for tag, n in var.nodes : "ip_${tag}" => n.ip }

  scale_policy {
    fixed_scale {
      size = length(var.nodes)
    }
  }

  allocation_policy {
    zones = local.zones
    dynamic "instance_tags_pool" {
      for_each = local.zones
      content {
        zone = instance_tags_pool.value
        tags = sort([for tag, n in var.nodes : tag if n.zone == instance_tags_pool.value])
      }
    }
  }

  deploy_policy {
    max_unavailable  = 1
    max_expansion    = 0
    max_creating     = 1
    max_deleting     = 1
    startup_duration = 15
  }

  health_check {
    interval            = 5
    timeout             = 2
    healthy_threshold   = 2
    unhealthy_threshold = 4
    http_options {
      port = var.health_port
      path = "/healthz"
    }
  }

  load_balancer {
    target_group_name            = "${var.name}-proxy"
    target_group_description     = "SHS proxies (managed by the instance group ${var.name}-proxy)"
    max_opening_traffic_duration = 120
  }
}
