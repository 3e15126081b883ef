# The SHS nodes: in-place rollout at fixed addresses, auto-healing looser than the proxies' checks, the image
# by digest, the database password by secret id only, nodes spread over zones.
mock_provider "yandex" {}

variables {
  name                     = "shs-test"
  image                    = "cr.yandex/crp0test/shs@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  nodes                    = { app1 = { zone = "ru-central1-a", ip = "10.128.1.10" }, app2 = { zone = "ru-central1-a", ip = "10.128.1.11" } }
  subnet_ids               = { "ru-central1-a" = "subnet-a", "ru-central1-b" = "subnet-b" }
  security_group_id        = "sg-app"
  group_service_account_id = "sa-ig"
  vm_service_account_id    = "sa-app"
  coi_image_id             = "coi-1"
  database_hosts           = ["10.128.1.5:5432"]
  secret_id                = "e6q-secret-id"
  secret_key               = "password"
}

run "in_place_rollout_at_fixed_addresses" {
  command = plan

  assert {
    condition     = one(yandex_compute_instance_group.app.deploy_policy).max_unavailable == 1 && one(yandex_compute_instance_group.app.deploy_policy).max_expansion == 0
    error_message = "one node at a time, in place (fixed addresses pair with max_expansion = 0)"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.app.scale_policy).fixed_scale).size == 2
    error_message = "as many nodes as given"
  }

  assert {
    condition     = yandex_compute_instance_group.app.variables == tomap({ ip_app1 = "10.128.1.10", ip_app2 = "10.128.1.11" }) && one(one(yandex_compute_instance_group.app.instance_template).network_interface).ip_address == "{ip_{instance.tag}}"
    error_message = "every node gets its fixed address through its instance tag"
  }

  assert {
    condition     = [for p in one(yandex_compute_instance_group.app.allocation_policy).instance_tags_pool : p.tags] == [tolist(["app1", "app2"])]
    error_message = "the tag pool names the nodes"
  }

  assert {
    condition     = length(yandex_compute_instance_group.app.load_balancer) == 0 && length(yandex_compute_instance_group.app.application_load_balancer) == 0
    error_message = "no balancer block: the proxies balance the app nodes"
  }
}

run "auto_healing_looser_than_the_proxies" {
  command = plan

  assert {
    condition = (
      one(yandex_compute_instance_group.app.health_check).interval * one(yandex_compute_instance_group.app.health_check).unhealthy_threshold >= 60
      && one(one(yandex_compute_instance_group.app.health_check).http_options).path == "/livez"
      && one(one(yandex_compute_instance_group.app.health_check).http_options).port == 8080
    )
    error_message = "the group heals a node only after a minute of failed /livez (liveness, not the database); the proxies eject it on /ping in about a second"
  }

  assert {
    condition     = one(yandex_compute_instance_group.app.health_check).interval > one(yandex_compute_instance_group.app.health_check).timeout
    error_message = "the check's interval must exceed its timeout"
  }
}

run "what_the_containers_get" {
  command = plan

  assert {
    condition     = length(regexall("image: \"cr.yandex/crp0test/shs@sha256:a{64}\"", output.compose)) == 2
    error_message = "init and shs both run the image by digest"
  }

  assert {
    condition     = strcontains(output.compose, "SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID: \"e6q-secret-id\"") && !can(regex("SHS_DATABASE_PASSWORD\\s*:", output.compose))
    error_message = "the secret's id, never the password"
  }

  assert {
    condition     = strcontains(output.compose, "max-size: \"10m\"") && strcontains(output.compose, "restart: always") && strcontains(output.compose, "restart: on-failure")
    error_message = "log rotation, a restarting server and a one-shot init"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.app.instance_template).metadata_options).gce_http_token == 1 && one(one(yandex_compute_instance_group.app.instance_template).metadata_options).aws_v1_http_token == 2
    error_message = "the service-account token only through the Google-flavoured metadata endpoint (header required)"
  }

  assert {
    condition     = !contains(keys(one(yandex_compute_instance_group.app.instance_template).metadata), "docker-container-declaration")
    error_message = "docker-compose only: COI refuses both keys together"
  }
}

run "spread_over_zones" {
  command = plan

  variables {
    nodes = { app1 = { zone = "ru-central1-a", ip = "10.128.1.10" }, app2 = { zone = "ru-central1-b", ip = "10.128.2.10" } }
  }

  assert {
    condition     = one(yandex_compute_instance_group.app.allocation_policy).zones == toset(["ru-central1-a", "ru-central1-b"]) && length(one(yandex_compute_instance_group.app.allocation_policy).instance_tags_pool) == 2
    error_message = "a tag pool per zone"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.app.instance_template).network_interface).subnet_ids == toset(["subnet-a", "subnet-b"])
    error_message = "the nodes use the subnets of their zones"
  }
}

run "managed_database_over_tls" {
  command = plan

  variables {
    database_ca_url = "https://storage.yandexcloud.net/cloud-certs/CA.pem"
  }

  assert {
    condition     = strcontains(output.compose, "SHS_DATABASE_SSL: \"true\"") && strcontains(output.compose, "SHS_DATABASE_SSL_CA_FILE: \"/etc/shs/db-ca.pem\"") && strcontains(output.user_data, "cloud-certs/CA.pem")
    error_message = "with a CA URL the nodes fetch the CA and verify the database's certificate"
  }
}

run "refuses_an_image_by_tag" {
  command = plan

  variables {
    image = "cr.yandex/crp0test/shs:latest"
  }

  expect_failures = [var.image]
}

run "refuses_two_nodes_at_one_address" {
  command = plan

  variables {
    nodes = { app1 = { zone = "ru-central1-a", ip = "10.128.1.10" }, app2 = { zone = "ru-central1-a", ip = "10.128.1.10" } }
  }

  expect_failures = [var.nodes]
}
