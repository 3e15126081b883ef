# The monitoring node: Prometheus and Grafana by digest, scraping the given targets, no login to protect.
mock_provider "yandex" {}

variables {
  name                     = "shs-test"
  zone                     = "ru-central1-a"
  subnet_id                = "subnet-a"
  security_group_id        = "sg-monitoring"
  group_service_account_id = "sa-ig"
  vm_service_account_id    = "sa-monitoring"
  coi_image_id             = "coi-1"
  prometheus_image         = "docker.io/prom/prometheus:v3.5.0@sha256:63805ebb8d2b3920190daf1cb14a60871b16fd38bed42b857a3182bc621f4996"
  grafana_image            = "docker.io/grafana/grafana:12.1.1@sha256:a1701c2180249361737a99a01bc770db39381640e4d631825d38ff4535efa47d"
  app_targets              = ["10.128.1.10:8080", "10.128.1.11:8080"]
  proxy_targets            = ["10.128.1.60:9145"]
}

run "scrapes_every_node" {
  command = plan

  assert {
    condition     = yamldecode(local.prometheus_config).scrape_configs[0].static_configs[0].targets == var.app_targets && yamldecode(local.prometheus_config).scrape_configs[1].static_configs[0].targets == var.proxy_targets
    error_message = "Prometheus scrapes the app nodes and the proxies"
  }

  assert {
    condition     = strcontains(output.compose, var.prometheus_image) && strcontains(output.compose, var.grafana_image) && strcontains(output.compose, "GF_AUTH_DISABLE_LOGIN_FORM: \"true\"")
    error_message = "pinned images; Grafana read-only with no login (no password to leak)"
  }
}

run "refuses_images_by_tag" {
  command = plan

  variables {
    prometheus_image = "prom/prometheus:latest"
  }

  expect_failures = [var.prometheus_image]
}
