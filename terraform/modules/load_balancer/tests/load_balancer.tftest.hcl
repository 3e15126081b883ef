# The balancer: TCP 80 and 443 on a reserved address, UDP 443 only when asked, proxies checked on /healthz.
mock_provider "yandex" {}

override_resource {
  target = yandex_vpc_address.this
  values = { external_ipv4_address = { address = "203.0.113.10" } }
}

variables {
  name            = "shs-test"
  zone            = "ru-central1-a"
  target_group_id = "tg-proxy"
}

run "tcp_listeners_on_a_reserved_address" {
  command = plan

  assert {
    condition     = toset([for l in yandex_lb_network_load_balancer.this.listener : "${l.protocol}/${l.port}"]) == toset(["tcp/80", "tcp/443"])
    error_message = "TCP 80 and 443, no UDP by default"
  }

  assert {
    condition     = alltrue([for l in yandex_lb_network_load_balancer.this.listener : one(l.external_address_spec).address == "203.0.113.10"])
    error_message = "every listener on the reserved address"
  }

  assert {
    condition     = one(yandex_lb_network_load_balancer.this.attached_target_group).target_group_id == "tg-proxy"
    error_message = "the proxies' target group behind it"
  }

  assert {
    condition = (
      one(one(one(yandex_lb_network_load_balancer.this.attached_target_group).healthcheck).http_options).path == "/healthz"
      && one(one(yandex_lb_network_load_balancer.this.attached_target_group).healthcheck).interval == 2
    )
    error_message = "the proxies' own /healthz, every 2 s"
  }

  assert {
    condition     = output.address == "203.0.113.10"
    error_message = "the address is an output (the URL and DNS use it)"
  }
}

run "udp_only_when_asked" {
  command = plan

  variables {
    udp_listener = true
  }

  assert {
    condition     = [for l in yandex_lb_network_load_balancer.this.listener : l.port if l.protocol == "udp"] == [443]
    error_message = "a UDP 443 listener for HTTP/3"
  }
}
