# SHS on Yandex Cloud, from one apply: the network, a security group per tier, the database password in
# Lockbox, PostgreSQL (a VM group of one, or Managed PostgreSQL), the SHS nodes, the proxies, and the network
# load balancer in front of them; optionally a domain with a certificate, and a monitoring node.
# Every module has one job (modules/<name>/README.md says which); this file only wires them together.
locals {
  name   = "${var.name_prefix}-${var.environment}"
  labels = merge(var.labels, { project = "shs", environment = var.environment })

  app_port    = 8080
  proxy_ports = { http = 80, https = 443, health = 9145 }
  db_port     = var.database == "vm" ? 5432 : 6432

  # A /24 per zone, in the order given.
  subnets = { for i, z in var.zones : z => cidrsubnet(var.network_cidr, 24 - tonumber(split("/", var.network_cidr)[1]), i + 1) }

  # Fixed internal addresses: the proxies' upstream list and Prometheus's targets are static.
  # Host numbers: database .5, app nodes .10 and up, proxies .60 and up (in their zone's subnet).
  app_nodes = {
    for i in range(var.app_size) : "app${i + 1}" => {
      zone = var.zones[i % length(var.zones)]
      ip   = cidrhost(local.subnets[var.zones[i % length(var.zones)]], 10 + floor(i / length(var.zones)))
    }
  }
  proxy_nodes = {
    for i in range(var.proxy_size) : "proxy${i + 1}" => {
      zone = var.zones[i % length(var.zones)]
      ip   = cidrhost(local.subnets[var.zones[i % length(var.zones)]], 60 + floor(i / length(var.zones)))
    }
  }
  db_ip = cidrhost(local.subnets[var.zones[0]], 5)

  # The monitoring node's configuration is the repository's monitoring/ directory, exactly: Prometheus's rule
  # files, Grafana's dashboards and provisioning (read here, delivered in the node's metadata and written at every
  # boot; modules/monitoring). Passed only with monitoring = true: a module's variable checks run even with
  # count = 0, and an environment without the node must not depend on monitoring/.
  monitoring_dir = "${path.module}/../monitoring"
  monitoring_files = {
    rules        = { for f in fileset("${local.monitoring_dir}/prometheus/rules", "*.{yml,yaml}") : f => file("${local.monitoring_dir}/prometheus/rules/${f}") }
    dashboards   = { for f in fileset("${local.monitoring_dir}/grafana/dashboards", "*.json") : f => file("${local.monitoring_dir}/grafana/dashboards/${f}") }
    provisioning = { for f in fileset("${local.monitoring_dir}/grafana/provisioning", "**") : f => file("${local.monitoring_dir}/grafana/provisioning/${f}") }
  }
  # The exporters on the database VM run only for the monitoring node (Managed PostgreSQL: none of ours).
  db_exporters = var.monitoring && var.database == "vm"
  db_metrics   = { node = 9100, postgres = 9187 }

  database = var.database == "vm" ? {
    hosts      = module.postgres_vm[0].hosts
    secret_id  = module.db_secret[0].secret_id
    secret_key = module.db_secret[0].key
    ca_url     = ""
    } : {
    hosts      = module.postgres_managed[0].hosts
    secret_id  = module.postgres_managed[0].secret_id
    secret_key = module.postgres_managed[0].secret_key
    ca_url     = var.managed_database_ca_url
  }
}

data "yandex_compute_image" "coi" {
  count  = var.coi_image_id == "" ? 1 : 0
  family = "container-optimized-image"
}

locals {
  coi_image_id = var.coi_image_id != "" ? var.coi_image_id : data.yandex_compute_image.coi[0].id
}

module "service_accounts" {
  source = "./modules/service_accounts"

  names = merge(
    {
      groups = var.service_accounts.groups
      app    = var.service_accounts.app
      proxy  = var.service_accounts.proxy
    },
    var.database == "vm" ? { db = var.service_accounts.db } : {},
    var.monitoring ? { monitoring = var.service_accounts.monitoring } : {},
  )
}

module "network" {
  source = "./modules/network"

  name    = local.name
  subnets = local.subnets
  labels  = local.labels
}

module "security" {
  source = "./modules/security"

  name              = local.name
  network_id        = module.network.network_id
  app_port          = local.app_port
  db_port           = local.db_port
  proxy_http_port   = local.proxy_ports.http
  proxy_https_port  = local.proxy_ports.https
  proxy_health_port = local.proxy_ports.health
  http3_udp         = var.http3
  ssh_cidrs         = var.ssh_cidrs
  monitoring        = var.monitoring
  admin_cidrs       = var.admin_cidrs
  db_metrics_ports  = local.db_exporters ? values(local.db_metrics) : []
  labels            = local.labels
}

module "db_secret" {
  source = "./modules/db_secret"
  count  = var.database == "vm" ? 1 : 0

  name                = "${local.name}-db-password"
  readers             = var.manage_access_bindings ? { app = module.service_accounts.ids.app, db = module.service_accounts.ids.db } : {}
  deletion_protection = var.deletion_protection
  labels              = local.labels
}

module "postgres_vm" {
  source = "./modules/postgres_vm"
  count  = var.database == "vm" ? 1 : 0

  name                     = local.name
  zone                     = var.zones[0]
  subnet_id                = module.network.subnet_ids[var.zones[0]]
  ip                       = local.db_ip
  port                     = local.db_port
  security_group_id        = module.security.db_id
  group_service_account_id = module.service_accounts.ids.groups
  vm_service_account_id    = module.service_accounts.ids.db
  coi_image_id             = local.coi_image_id
  postgres_image           = var.database_vm.image
  postgres_uid             = var.database_vm.image_uid
  secret_id                = module.db_secret[0].secret_id
  secret_key               = module.db_secret[0].key
  disk_size                = var.database_vm.disk_size
  disk_type                = var.database_vm.disk_type
  snapshot_schedule        = var.database_vm.snapshot_schedule
  snapshot_count           = var.database_vm.snapshot_count
  node_exporter_image      = local.db_exporters ? var.monitoring_images.node_exporter : ""
  node_exporter_port       = local.db_metrics.node
  postgres_exporter_image  = local.db_exporters ? var.monitoring_images.postgres_exporter : ""
  postgres_exporter_port   = local.db_metrics.postgres
  cores                    = var.database_vm.cores
  memory                   = var.database_vm.memory
  core_fraction            = var.database_vm.core_fraction
  public_ip                = var.public_ips
  ssh_public_key           = var.ssh_public_key
  deletion_protection      = var.deletion_protection
  labels                   = local.labels

  # The VM must be able to read the password when it first boots.
  depends_on = [module.db_secret]
}

module "postgres_managed" {
  source = "./modules/postgres_managed"
  count  = var.database == "managed" ? 1 : 0

  name                = local.name
  network_id          = module.network.network_id
  subnet_ids          = module.network.subnet_ids
  security_group_id   = module.security.db_id
  postgres_version    = var.database_managed.version
  resource_preset_id  = var.database_managed.resource_preset_id
  disk_type           = var.database_managed.disk_type
  disk_size           = var.database_managed.disk_size
  readers             = var.manage_access_bindings ? { app = module.service_accounts.ids.app } : {}
  deletion_protection = var.deletion_protection
  labels              = local.labels
}

module "app" {
  source = "./modules/app"

  name                     = local.name
  image                    = var.image
  nodes                    = local.app_nodes
  port                     = local.app_port
  subnet_ids               = module.network.subnet_ids
  security_group_id        = module.security.app_id
  group_service_account_id = module.service_accounts.ids.groups
  vm_service_account_id    = module.service_accounts.ids.app
  coi_image_id             = local.coi_image_id
  database_hosts           = local.database.hosts
  database_ca_url          = local.database.ca_url
  secret_id                = local.database.secret_id
  secret_key               = local.database.secret_key
  dataset_scale            = var.dataset_scale
  cores                    = var.app_resources.cores
  memory                   = var.app_resources.memory
  core_fraction            = var.app_resources.core_fraction
  preemptible              = var.preemptible
  public_ip                = var.public_ips
  ssh_public_key           = var.ssh_public_key
  labels                   = local.labels

  # The nodes start once the database exists and they may read its password.
  depends_on = [module.db_secret, module.postgres_vm, module.postgres_managed]
}

module "load_balancer" {
  source = "./modules/load_balancer"

  name                = local.name
  zone                = var.zones[0]
  target_group_id     = module.proxy.target_group_id
  http_port           = local.proxy_ports.http
  https_port          = local.proxy_ports.https
  health_port         = local.proxy_ports.health
  udp_listener        = var.udp_listener
  deletion_protection = var.deletion_protection
  labels              = local.labels
}

module "dns_certificate" {
  source = "./modules/dns_certificate"
  count  = var.domain != "" ? 1 : 0

  domain      = var.domain
  zone_id     = var.dns_zone_id
  address     = module.load_balancer.address
  downloaders = var.manage_access_bindings ? { proxy = module.service_accounts.ids.proxy } : {}
  labels      = local.labels
}

module "proxy" {
  source = "./modules/proxy"

  name                     = local.name
  image                    = var.proxy_image
  nodes                    = local.proxy_nodes
  upstreams                = module.app.upstreams
  http_port                = local.proxy_ports.http
  https_port               = local.proxy_ports.https
  health_port              = local.proxy_ports.health
  http3                    = var.http3
  certificate_id           = var.domain != "" ? module.dns_certificate[0].certificate_id : ""
  subnet_ids               = module.network.subnet_ids
  security_group_id        = module.security.proxy_id
  group_service_account_id = module.service_accounts.ids.groups
  vm_service_account_id    = module.service_accounts.ids.proxy
  coi_image_id             = local.coi_image_id
  cores                    = var.proxy_resources.cores
  memory                   = var.proxy_resources.memory
  core_fraction            = var.proxy_resources.core_fraction
  preemptible              = var.preemptible
  public_ip                = var.public_ips
  ssh_public_key           = var.ssh_public_key
  labels                   = local.labels
}

module "monitoring" {
  source = "./modules/monitoring"
  count  = var.monitoring ? 1 : 0

  name                     = local.name
  zone                     = var.zones[0]
  subnet_id                = module.network.subnet_ids[var.zones[0]]
  security_group_id        = module.security.monitoring_id
  group_service_account_id = module.service_accounts.ids.groups
  vm_service_account_id    = module.service_accounts.ids.monitoring
  manage_access_bindings   = var.manage_access_bindings
  coi_image_id             = local.coi_image_id
  prometheus_image         = var.monitoring_images.prometheus
  grafana_image            = var.monitoring_images.grafana
  node_exporter_image      = var.monitoring_images.node_exporter
  app_targets              = module.app.upstreams
  proxy_targets            = [for ip in module.proxy.addresses : "${ip}:${local.proxy_ports.health}"]
  db_node_targets          = var.database == "vm" ? module.postgres_vm[0].metrics_targets.node : []
  postgres_targets         = var.database == "vm" ? module.postgres_vm[0].metrics_targets.postgres : []
  alertmanager_targets     = var.alertmanager_targets
  rule_files               = var.monitoring ? local.monitoring_files.rules : {}
  dashboards               = var.monitoring ? local.monitoring_files.dashboards : {}
  grafana_provisioning     = var.monitoring ? local.monitoring_files.provisioning : {}
  ssh_public_key           = var.ssh_public_key
  labels                   = local.labels
}
