# The module four times over, for the hash test in monitoring.tftest.hcl (whose assertions cannot compare one
# run's outputs with another's): the same files twice, one file changed, one file left out.
terraform {
  required_version = ">= 1.6"
  # Declared only so that the test file's mock provider, which every run is given, resolves here too.
  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = "~> 0.219.0"
    }
  }
}

locals {
  rules = { "a.rules.yml" = "groups:\n  - name: a\n    rules: []\n", "b.rules.yml" = "groups: []\n" }
  variants = {
    original = local.rules
    same     = local.rules
    changed  = merge(local.rules, { "b.rules.yml" = "groups: [] # changed\n" })
    removed  = { "a.rules.yml" = local.rules["a.rules.yml"] }
  }
}

module "node" {
  source   = "../.."
  for_each = local.variants

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
  app_targets              = ["10.128.1.10:8080"]
  proxy_targets            = ["10.128.1.60:9145"]
  rule_files               = each.value
  dashboards               = { "overview.json" = "{\"title\":\"Overview\",\"uid\":\"shs-test\"}" }
  grafana_provisioning     = { "datasources/prometheus.yml" = "apiVersion: 1\ndatasources: []\n" }
}

output "sha256" {
  description = "Each variant's files_sha256 (the metadata key shs-monitoring-files-sha256)."
  value       = { for k, m in module.node : k => m.files_sha256 }
}
