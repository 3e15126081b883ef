# The monitoring node: Prometheus, Grafana and node-exporter by digest, scraping the given targets under the
# rules' job names, provisioned from exactly the files it is given (in its metadata, compressed, with their hash,
# written at every boot; the whole within the metadata's limit), and Grafana behind a login whose password only Lockbox holds.
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
  node_exporter_image      = "docker.io/prom/node-exporter:v1.9.1@sha256:d00a542e409ee618a4edc67da14dd48c5da66726bbd5537ab2af9c1dfc442c8a"
  app_targets              = ["10.128.1.10:8080", "10.128.1.11:8080"]
  proxy_targets            = ["10.128.1.60:9145"]
  db_node_targets          = ["10.128.1.5:9100"]
  postgres_targets         = ["10.128.1.5:9187"]

  rule_files           = { "a.rules.yml" = "groups:\n  - name: a\n    rules: []\n", "b.rules.yml" = "groups: []\n" }
  dashboards           = { "overview.json" = "{\"title\":\"Overview\",\"uid\":\"shs-test\"}" }
  grafana_provisioning = { "datasources/prometheus.yml" = "apiVersion: 1\ndatasources: []\n", "dashboards/shs.yml" = "apiVersion: 1\nproviders: []\n" }
}

# Large contents for the runs below (tests/setup).
run "setup" {
  module {
    source = "./tests/setup"
  }
}

run "scrapes_every_tier_under_the_rules_job_names" {
  command = plan

  assert {
    condition     = [for j in yamldecode(output.prometheus_config).scrape_configs : j.job_name] == ["shs", "proxy", "node", "postgres", "prometheus"]
    error_message = "Prometheus has exactly the five jobs the rules use: shs, proxy, node, postgres, prometheus"
  }

  assert {
    condition = {
      for j in yamldecode(output.prometheus_config).scrape_configs : j.job_name => { for sc in j.static_configs : sc.labels.tier => sc.targets }
      } == {
      shs        = { app = var.app_targets }
      proxy      = { proxy = var.proxy_targets }
      node       = { monitoring = ["127.0.0.1:9100"], db = var.db_node_targets }
      postgres   = { db = var.postgres_targets }
      prometheus = { monitoring = ["127.0.0.1:9090"] }
    }
    error_message = "every target, under its job, labelled with its tier (app, proxy, db, monitoring)"
  }

  assert {
    condition     = yamldecode(output.prometheus_config).rule_files == ["/etc/prometheus/rules/*.yml"] && !can(yamldecode(output.prometheus_config).alerting)
    error_message = "the rules load from /etc/prometheus/rules/*.yml; no alerting section without Alertmanagers"
  }

  assert {
    condition     = strcontains(output.compose, "\"/etc/shs-monitoring/prometheus:/etc/prometheus:ro\"")
    error_message = "Prometheus reads the host's /etc/shs-monitoring/prometheus (prometheus.yml and rules/) as /etc/prometheus"
  }
}

run "every_file_given_is_in_the_metadata" {
  command = plan

  variables {
    # One small file, one of about 5 KB.
    rule_files = { "a.rules.yml" = "groups:\n  - name: a\n    rules: []\n", "big.rules.yml" = run.setup.big_rules }
  }

  assert {
    condition = toset(keys(output.files)) == toset([
      "prometheus/prometheus.yml",
      "prometheus/rules/a.rules.yml",
      "prometheus/rules/big.rules.yml",
      "grafana/dashboards/overview.json",
      "grafana/provisioning/datasources/prometheus.yml",
      "grafana/provisioning/dashboards/shs.yml",
    ])
    error_message = "the node gets prometheus.yml and every rule file, dashboard and provisioning file given, and nothing else"
  }

  assert {
    condition = alltrue(concat(
      [for n, c in var.rule_files : output.files["prometheus/rules/${n}"] == c],
      [for n, c in var.dashboards : output.files["grafana/dashboards/${n}"] == c],
      [for p, c in var.grafana_provisioning : output.files["grafana/provisioning/${p}"] == c],
      [output.files["prometheus/prometheus.yml"] == output.prometheus_config],
    ))
    error_message = "each file's content arrives exactly as given"
  }

  assert {
    condition = (
      one(yandex_compute_instance_group.monitoring.instance_template).metadata["shs-monitoring-files"] == base64gzip(jsonencode(output.files)) &&
      one(yandex_compute_instance_group.monitoring.instance_template).metadata["shs-monitoring-files-sha256"] == sha256(jsonencode(output.files)) &&
      output.files_sha256 == sha256(jsonencode(output.files))
    )
    error_message = "the instance's metadata carries them all (shs-monitoring-files: a gzip+base64 JSON map) and their SHA-256 (shs-monitoring-files-sha256)"
  }

  assert {
    condition     = length([for f in yamldecode(output.user_data).write_files : f.path if startswith(f.path, "/etc/shs-monitoring")]) == 0
    error_message = "none of them is in the user-data's write_files, which cloud-init runs on an instance's first boot only"
  }

  assert {
    condition = [for c in yamldecode(output.user_data).bootcmd : c[0]] == ["mkdir", "chown", "python3"] && alltrue([
      for want in ["KEY = \"shs-monitoring-files\"\nHASH_KEY = \"shs-monitoring-files-sha256\"\n", "os.environ.get(\"METADATA_FILES_DIR\", \"/etc/shs-monitoring\")"] :
      strcontains(yamldecode(output.user_data).bootcmd[2][2], want)
    ])
    error_message = "at every boot, once Prometheus's data directory is there, a boot command writes the files from those metadata keys to /etc/shs-monitoring"
  }

  assert {
    condition     = output.metadata_bytes > length(output.user_data) + length(one(yandex_compute_instance_group.monitoring.instance_template).metadata["shs-monitoring-files"]) && output.metadata_bytes < 262144
    error_message = "the metadata's size is counted, the files' key included, and these files fit"
  }
}

# The module with the same files twice, one file changed and one left out (tests/hash).
run "a_changed_file_changes_the_hash" {
  command = plan

  module {
    source = "./tests/hash"
  }

  assert {
    condition     = output.sha256.same == output.sha256.original
    error_message = "the same files give the same hash (and metadata): no change in the plan"
  }

  assert {
    condition     = output.sha256.changed != output.sha256.original && output.sha256.removed != output.sha256.original && output.sha256.changed != output.sha256.removed
    error_message = "a changed or removed file changes the hash in the metadata: the plan shows the group changing, and the restarted node writes the new files"
  }
}

run "grafana_password_from_lockbox_only" {
  command = plan

  # The id the cloud would give the secret, to find it where it must be (and only there).
  override_resource {
    target = module.grafana_secret.yandex_lockbox_secret.this
    values = { id = "e6qgrafanasecret0001" }
  }

  assert {
    condition     = module.grafana_secret.secret_id == "e6qgrafanasecret0001" && module.grafana_secret.key == "password"
    error_message = "Grafana's admin password is a Lockbox secret of its own (generated by Lockbox: modules/db_secret)"
  }

  assert {
    condition     = module.grafana_secret.grants == { monitoring = "lockbox.payloadViewer serviceAccount:sa-monitoring e6qgrafanasecret0001" }
    error_message = "the monitoring VM's account, alone, may read that one secret"
  }

  assert {
    condition     = strcontains(output.compose, "GF_SECURITY_ADMIN_PASSWORD__FILE: \"/run/secrets/grafana/admin_password\"") && !can(regex("GF_SECURITY_ADMIN_PASSWORD\\s*:", output.compose)) && strcontains(output.compose, "\"/run/shs-grafana:/run/secrets/grafana:ro\"")
    error_message = "Grafana reads its admin password from the tmpfs file, never from the spec"
  }

  assert {
    condition = [for f in yamldecode(output.user_data).write_files : f.permissions if f.path == "/var/lib/cloud/scripts/per-boot/10-shs-grafana-password"] == ["0700"] && alltrue([
      for want in ["SECRET_ID = \"e6qgrafanasecret0001\"", "DIR = \"/run/shs-grafana\"", "FILE = os.path.join(DIR, \"admin_password\")", "OWNER = 472"] :
      strcontains(one([for f in yamldecode(output.user_data).write_files : f.content if f.path == "/var/lib/cloud/scripts/per-boot/10-shs-grafana-password"]), want)
    ])
    error_message = "a per-boot script reads the secret by its id into /run/shs-grafana (tmpfs), for Grafana's uid"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.monitoring.instance_template).metadata_options).gce_http_token == 1
    error_message = "the VM's service-account token is available to the per-boot script (metadata service)"
  }

  assert {
    condition     = output.grafana_secret_id == "e6qgrafanasecret0001"
    error_message = "the secret's id (only) is an output"
  }
}

run "grafana_asks_for_a_login" {
  command = plan

  assert {
    condition     = strcontains(output.compose, "GF_AUTH_ANONYMOUS_ENABLED: \"false\"") && strcontains(output.compose, "GF_AUTH_DISABLE_LOGIN_FORM: \"false\"") && strcontains(output.compose, "GF_USERS_ALLOW_SIGN_UP: \"false\"")
    error_message = "no anonymous access, the login form kept, no sign-up"
  }

  assert {
    condition     = strcontains(output.compose, var.prometheus_image) && strcontains(output.compose, var.grafana_image) && strcontains(output.compose, var.node_exporter_image)
    error_message = "Prometheus, Grafana and node-exporter by digest"
  }

  assert {
    condition     = strcontains(output.compose, "\"--path.rootfs=/host\"") && strcontains(output.compose, "\"--web.listen-address=127.0.0.1:9100\"") && strcontains(output.compose, "\"/:/host:ro,rslave\"")
    error_message = "node-exporter sees the host's / read-only and answers on loopback only"
  }
}

run "alertmanagers_in_the_alerting_section" {
  command = plan

  variables {
    alertmanager_targets = ["10.128.1.100:9093", "alertmanager.internal:9093"]
  }

  assert {
    condition     = yamldecode(output.prometheus_config).alerting.alertmanagers[0].static_configs[0].targets == var.alertmanager_targets
    error_message = "Prometheus sends its alerts to the given Alertmanagers"
  }
}

run "managed_database_no_db_exporters" {
  command = plan

  variables {
    db_node_targets  = []
    postgres_targets = []
  }

  assert {
    condition     = [for j in yamldecode(output.prometheus_config).scrape_configs : j.job_name] == ["shs", "proxy", "node", "prometheus"] && [for j in yamldecode(output.prometheus_config).scrape_configs : [for sc in j.static_configs : sc.labels.tier] if j.job_name == "node"] == [["monitoring"]]
    error_message = "without exporters on a database VM: no postgres job, and node scrapes the monitoring VM alone"
  }
}

run "access_binding_by_hand" {
  command = plan

  variables {
    manage_access_bindings = false
  }

  assert {
    condition     = length(module.grafana_secret.grants) == 0
    error_message = "no binding when they are granted by hand"
  }
}

run "too_much_for_the_metadata" {
  command = plan

  variables {
    dashboards = { "huge.json" = run.setup.huge_dashboard }
  }

  expect_failures = [yandex_compute_instance_group.monitoring]
}

run "refuses_images_by_tag" {
  command = plan

  variables {
    prometheus_image = "prom/prometheus:latest"
  }

  expect_failures = [var.prometheus_image]
}

run "refuses_node_exporter_by_tag" {
  command = plan

  variables {
    node_exporter_image = "prom/node-exporter:v1.9.1"
  }

  expect_failures = [var.node_exporter_image]
}

run "refuses_a_rule_file_prometheus_would_not_load" {
  command = plan

  variables {
    rule_files = { "x.rules.yaml" = "groups: []\n" }
  }

  expect_failures = [var.rule_files]
}

run "refuses_a_path_out_of_the_provisioning_directory" {
  command = plan

  variables {
    grafana_provisioning = { "../../etc/passwd" = "x" }
  }

  expect_failures = [var.grafana_provisioning]
}

run "refuses_no_dashboards" {
  command = plan

  variables {
    dashboards = {}
  }

  expect_failures = [yandex_compute_instance_group.monitoring]
}

run "refuses_a_bad_alertmanager" {
  command = plan

  variables {
    alertmanager_targets = ["http://10.128.1.100:9093"]
  }

  expect_failures = [var.alertmanager_targets]
}
