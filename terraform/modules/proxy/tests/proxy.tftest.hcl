# The proxies: in the balancer's target group (made by the group), checked on their own /healthz, rolled out
# one at a time, pointed at the app nodes, and allowed to bind 80/443 as a non-root user.
mock_provider "yandex" {}

variables {
  name                     = "shs-test"
  image                    = "cr.yandex/crp0test/shs-proxy@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
  nodes                    = { proxy1 = { zone = "ru-central1-a", ip = "10.128.1.60" }, proxy2 = { zone = "ru-central1-a", ip = "10.128.1.61" } }
  upstreams                = ["10.128.1.10:8080", "10.128.1.11:8080"]
  subnet_ids               = { "ru-central1-a" = "subnet-a" }
  security_group_id        = "sg-proxy"
  group_service_account_id = "sa-ig"
  vm_service_account_id    = "sa-proxy"
  coi_image_id             = "coi-1"
}

run "behind_the_balancer" {
  command = plan

  assert {
    condition     = one(yandex_compute_instance_group.proxy.load_balancer).target_group_name == "shs-test-proxy"
    error_message = "the group keeps its VMs in the balancer's target group"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.proxy.health_check).http_options).path == "/healthz" && one(one(yandex_compute_instance_group.proxy.health_check).http_options).port == 9145
    error_message = "a proxy is judged by its own /healthz, not by the app nodes behind it"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.proxy.scale_policy).fixed_scale).size == 2
    error_message = "two proxies"
  }

  assert {
    condition     = one(yandex_compute_instance_group.proxy.deploy_policy).max_unavailable == 1 && one(yandex_compute_instance_group.proxy.deploy_policy).max_expansion == 0
    error_message = "one proxy at a time, in place"
  }
}

run "what_the_container_gets" {
  command = plan

  assert {
    condition     = strcontains(output.compose, "image: \"cr.yandex/crp0test/shs-proxy@sha256:${join("", [for i in range(64) : "b"])}\"")
    error_message = "the proxy image by digest"
  }

  assert {
    condition     = strcontains(output.compose, "PROXY_PEERS: \"10.128.1.10:8080,10.128.1.11:8080\"") && strcontains(output.compose, "PROXY_HTTP_LISTEN: \"0.0.0.0:80\"") && strcontains(output.compose, "PROXY_METRICS_LISTEN: \"0.0.0.0:9145\"")
    error_message = "upstreams and listen addresses come in through the environment"
  }

  assert {
    condition     = strcontains(output.compose, "stop_signal: SIGQUIT") && strcontains(output.compose, "max-size: \"10m\"")
    error_message = "graceful nginx shutdown and log rotation"
  }

  assert {
    condition     = strcontains(output.user_data, "net.ipv4.ip_unprivileged_port_start=80")
    error_message = "the non-root proxy may bind 80 and 443"
  }
}

run "refuses_an_image_by_tag" {
  command = plan

  variables {
    image = "openresty/openresty:latest"
  }

  expect_failures = [var.image]
}
