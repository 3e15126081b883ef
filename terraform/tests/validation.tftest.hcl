# What the root module refuses before anything is planned, each with a message that names it.
mock_provider "yandex" {}

variables {
  environment = "production"
  image       = "cr.yandex/crp0test/shs@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  proxy_image = "cr.yandex/crp0test/shs-proxy@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
}

run "an_image_by_tag" {
  command = plan

  variables {
    image = "cr.yandex/crp0test/shs:latest"
  }

  expect_failures = [var.image]
}

run "a_proxy_image_by_tag" {
  command = plan

  variables {
    proxy_image = "cr.yandex/crp0test/shs-proxy:v1"
  }

  expect_failures = [var.proxy_image]
}

run "an_environment_name_that_cannot_name_resources" {
  command = plan

  variables {
    environment = "Prod_1"
  }

  expect_failures = [var.environment]
}

run "an_unknown_database_kind" {
  command = plan

  variables {
    database = "sqlite"
  }

  expect_failures = [var.database]
}

run "a_udp_listener_without_http3" {
  command = plan

  variables {
    udp_listener = true
  }

  expect_failures = [var.udp_listener]
}

run "no_app_nodes" {
  command = plan

  variables {
    app_size = 0
  }

  expect_failures = [var.app_size]
}

run "a_zone_twice" {
  command = plan

  variables {
    zones = ["ru-central1-a", "ru-central1-a"]
  }

  expect_failures = [var.zones]
}

run "a_monitoring_image_by_tag" {
  command = plan

  variables {
    monitoring        = true
    monitoring_images = { postgres_exporter = "quay.io/prometheuscommunity/postgres-exporter:v0.17.1" }
  }

  expect_failures = [var.monitoring_images]
}
