# The root module with its options on: Managed PostgreSQL, a domain with its certificate, the monitoring node,
# three zones, HTTP/3 with a UDP listener, SSH from one address.
mock_provider "yandex" {}

# The cloud answers a managed certificate with its DNS challenge; the mock would answer with none.
override_resource {
  target = module.dns_certificate.yandex_cm_certificate.this
  values = {
    challenges = [{ dns_name = "_acme-challenge.shs.example.com.", dns_type = "CNAME", dns_value = "cert-1.cm.yandexcloud.net.", created_at = "", domain = "shs.example.com", http_content = "", http_url = "", message = "", type = "DNS", updated_at = "" }]
  }
}

variables {
  environment = "staging"
  image       = "cr.yandex/crp0test/shs@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  proxy_image = "cr.yandex/crp0test/shs-proxy@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
}

run "domain_and_certificate" {
  command = plan

  variables {
    domain = "shs.example.com"
  }

  assert {
    condition     = output.url == "http://shs.example.com" && output.https_url == "https://shs.example.com"
    error_message = "the URLs are the domain's"
  }

  assert {
    condition     = length(module.dns_certificate) == 1 && !strcontains(module.proxy.compose, "PROXY_CERTIFICATE_ID: \"\"")
    error_message = "the proxies are given the certificate to fetch"
  }
}

run "monitoring_node" {
  command = plan

  variables {
    monitoring  = true
    admin_cidrs = ["198.51.100.0/24"]
  }

  assert {
    condition     = length(module.monitoring) == 1 && contains(keys(output.instance_group_ids), "monitoring")
    error_message = "the monitoring node is made and waited for"
  }

  assert {
    condition     = strcontains(module.monitoring[0].compose, "prom/prometheus") && strcontains(module.monitoring[0].compose, "grafana/grafana") && strcontains(module.monitoring[0].compose, "prom/node-exporter")
    error_message = "Prometheus, Grafana and node-exporter run there"
  }

  # The repository's own monitoring/ files, read by the root module: the dashboard, the rule files (the SLO
  # rules generated from monitoring/slo.yaml among them) and Grafana's provisioning; in the node's metadata.
  assert {
    condition = alltrue([for path in [
      "grafana/dashboards/shs.json",
      "prometheus/rules/slo.rules.yml",
      "prometheus/rules/shs.rules.yml",
      "grafana/provisioning/datasources/prometheus.yml",
      "grafana/provisioning/dashboards/shs.yml",
    ] : contains(keys(module.monitoring[0].files), path)])
    error_message = "the monitoring node is provisioned from the repository's monitoring/ files"
  }

  assert {
    condition = toset([for p in keys(module.monitoring[0].files) : p if p != "prometheus/prometheus.yml"]) == toset(concat(
      [for f in fileset("${path.module}/../monitoring/prometheus/rules", "*.yml") : "prometheus/rules/${f}"],
      [for f in fileset("${path.module}/../monitoring/grafana/dashboards", "*.json") : "grafana/dashboards/${f}"],
      [for f in fileset("${path.module}/../monitoring/grafana/provisioning", "**") : "grafana/provisioning/${f}"],
    ))
    error_message = "exactly the files of monitoring/ (rules, dashboards, provisioning), each at its place"
  }

  assert {
    condition     = alltrue([for f in fileset("${path.module}/../monitoring/prometheus/rules", "*.yml") : module.monitoring[0].files["prometheus/rules/${f}"] == file("${path.module}/../monitoring/prometheus/rules/${f}")])
    error_message = "each rule file as it is in the repository"
  }

  assert {
    condition = {
      for j in yamldecode(module.monitoring[0].prometheus_config).scrape_configs : j.job_name => flatten([for sc in j.static_configs : [for t in sc.targets : "${sc.labels.tier} ${t}"]])
      } == {
      shs        = ["app 10.128.1.10:8080", "app 10.128.1.11:8080"]
      proxy      = ["proxy 10.128.1.60:9145", "proxy 10.128.1.61:9145"]
      node       = ["monitoring 127.0.0.1:9100", "db 10.128.1.5:9100"]
      postgres   = ["db 10.128.1.5:9187"]
      prometheus = ["monitoring 127.0.0.1:9090"]
    }
    error_message = "Prometheus scrapes every tier at its fixed address, under the rules' job names"
  }

  assert {
    condition     = toset(keys(yamldecode(module.postgres_vm[0].compose).services)) == toset(["postgres", "node-exporter", "postgres-exporter"])
    error_message = "node-exporter and postgres_exporter run beside PostgreSQL"
  }

  assert {
    condition     = output.grafana_admin_secret_id == module.monitoring[0].grafana_secret_id && output.grafana_admin_secret_id != ""
    error_message = "the id of Grafana's password secret is an output"
  }
}

run "monitoring_with_managed_postgresql" {
  command = plan

  variables {
    monitoring           = true
    database             = "managed"
    alertmanager_targets = ["10.128.1.100:9093"]
  }

  assert {
    condition     = [for j in yamldecode(module.monitoring[0].prometheus_config).scrape_configs : j.job_name] == ["shs", "proxy", "node", "prometheus"]
    error_message = "Managed PostgreSQL runs no exporter of ours: no postgres job, and node-exporter on the monitoring node only"
  }

  assert {
    condition     = yamldecode(module.monitoring[0].prometheus_config).alerting.alertmanagers[0].static_configs[0].targets == ["10.128.1.100:9093"]
    error_message = "the alerts go to the given Alertmanager"
  }
}

run "three_zones" {
  command = plan

  variables {
    zones    = ["ru-central1-a", "ru-central1-b", "ru-central1-d"]
    app_size = 3
  }

  assert {
    condition     = length(module.network.subnet_ids) == 3
    error_message = "a subnet per zone"
  }

  assert {
    condition     = module.app.upstreams == ["10.128.1.10:8080", "10.128.2.10:8080", "10.128.3.10:8080"]
    error_message = "one app node per zone, each in its zone's subnet"
  }

  assert {
    condition     = module.postgres_vm[0].hosts == ["10.128.1.5:5432"]
    error_message = "the database in the first zone"
  }
}

run "ssh_and_a_login" {
  command = plan

  variables {
    ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0sGDkZ0b3HJR0bIfcmdLzG2vV5fbWf9Fy3m4cU8bqn someone@laptop"
    ssh_cidrs      = ["203.0.113.7/32"]
  }

  assert {
    condition     = strcontains(module.app.user_data, "ssh_authorized_keys") && strcontains(module.proxy.user_data, "ssh_authorized_keys") && strcontains(module.postgres_vm[0].user_data, "ssh_authorized_keys")
    error_message = "every VM gets the login user"
  }
}

run "http3_with_a_udp_listener" {
  command = plan

  variables {
    http3        = true
    udp_listener = true
  }

  assert {
    condition     = strcontains(module.proxy.compose, "PROXY_HTTP3: \"true\"")
    error_message = "the proxies serve HTTP/3"
  }
}

run "access_bindings_by_hand" {
  command = plan

  variables {
    manage_access_bindings = false
    domain                 = "shs.example.com"
  }

  assert {
    condition     = length(module.db_secret[0].reader_bindings) == 0
    error_message = "no binding on the secret when they are granted by hand"
  }
}

run "managed_database" {
  # Last, and applied (against the mock): the password secret's id comes from a connection read only once
  # the database user exists.
  command = apply

  variables {
    database = "managed"
  }

  assert {
    condition     = length(module.postgres_managed) == 1 && length(module.postgres_vm) == 0 && length(module.db_secret) == 0
    error_message = "Managed PostgreSQL replaces the database VM and its secret"
  }

  assert {
    condition     = toset(keys(output.instance_group_ids)) == toset(["app", "proxy"])
    error_message = "no database group to wait for"
  }

  assert {
    condition     = strcontains(module.app.compose, "SHS_DATABASE_SSL: \"true\"") && strcontains(module.app.user_data, "https://storage.yandexcloud.net/cloud-certs/CA.pem")
    error_message = "the app nodes verify the managed cluster's certificate"
  }
}
