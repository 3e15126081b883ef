# The public entry point: a network load balancer (L4) on a reserved address, in front of the proxies' target
# group. TCP 80 and 443 always; UDP 443 (HTTP/3) only when asked, because the cloud refuses UDP listeners
# until support enables them for the cloud. TLS ends at the proxies, not here. The balancer checks each
# proxy's /healthz every 2 s and stops sending it new connections after 2 failures.
resource "yandex_vpc_address" "this" {
  name                = var.name
  deletion_protection = var.deletion_protection
  labels              = var.labels

  external_ipv4_address {
    zone_id = var.zone
  }
}

locals {
  listeners = merge(
    {
      http  = { protocol = "tcp", port = var.http_port }
      https = { protocol = "tcp", port = var.https_port }
    },
    var.udp_listener ? { http3 = { protocol = "udp", port = var.https_port } } : {},
  )
}

resource "yandex_lb_network_load_balancer" "this" {
  name                = var.name
  description         = "SHS: HTTP, HTTPS${var.udp_listener ? ", HTTP/3" : ""} to the proxies"
  deletion_protection = var.deletion_protection
  labels              = var.labels

  dynamic "listener" {
    for_each = local.listeners
    content {
      name        = listener.key
      protocol    = listener.value.protocol
      port        = listener.value.port
      target_port = listener.value.port
      external_address_spec {
        address    = yandex_vpc_address.this.external_ipv4_address[0].address
        ip_version = "ipv4"
      }
    }
  }

  attached_target_group {
    target_group_id = var.target_group_id

    healthcheck {
      name                = "proxy-healthz"
      interval            = 2
      timeout             = 1
      healthy_threshold   = 2
      unhealthy_threshold = 2
      http_options {
        port = var.health_port
        path = "/healthz"
      }
    }
  }
}
