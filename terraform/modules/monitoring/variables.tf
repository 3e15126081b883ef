variable "name" {
  type        = string
  description = "Prefix of the resources' names."
}

variable "zone" {
  type        = string
  description = "The node's zone."
}

variable "subnet_id" {
  type        = string
  description = "The subnet in that zone."
}

variable "security_group_id" {
  type        = string
  description = "The monitoring tier's security group."
}

variable "group_service_account_id" {
  type        = string
  description = "The account the instance group acts as."
}

variable "vm_service_account_id" {
  type        = string
  description = "The VM's own account: pulls the images, reads Grafana's admin password (lockbox.payloadViewer on that one secret)."
}

variable "manage_access_bindings" {
  type        = bool
  description = "Grant the VM's account lockbox.payloadViewer on Grafana's password secret here; false: by hand."
  default     = true
}

variable "coi_image_id" {
  type        = string
  description = "The Container Optimized Image for the boot disk."
}

variable "prometheus_image" {
  type        = string
  description = "Prometheus by digest."

  validation {
    condition     = can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.prometheus_image))
    error_message = "prometheus_image must be referenced by digest (...@sha256:<64 hex digits>)."
  }
}

variable "grafana_image" {
  type        = string
  description = "Grafana by digest."

  validation {
    condition     = can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.grafana_image))
    error_message = "grafana_image must be referenced by digest (...@sha256:<64 hex digits>)."
  }
}

variable "node_exporter_image" {
  type        = string
  description = "Prometheus node-exporter by digest (the monitoring VM's own host metrics)."

  validation {
    condition     = can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.node_exporter_image))
    error_message = "node_exporter_image must be referenced by digest (...@sha256:<64 hex digits>)."
  }
}

variable "app_targets" {
  type        = list(string)
  description = "SHS nodes as host:port (their /metrics): job shs, tier app."
}

variable "proxy_targets" {
  type        = list(string)
  description = "Proxies as host:port of their metrics port: job proxy, tier proxy."
}

variable "db_node_targets" {
  type        = list(string)
  description = "node-exporters on the database VM (host:port): job node, tier db. Empty with Managed PostgreSQL."
  default     = []
}

variable "postgres_targets" {
  type        = list(string)
  description = "postgres_exporters (host:port): job postgres, tier db. Empty (no postgres job) with Managed PostgreSQL."
  default     = []
}

variable "alertmanager_targets" {
  type        = list(string)
  description = "Alertmanagers (host:port) Prometheus sends its alerts to; empty: no alerting section (the alerts show in Prometheus and Grafana only)."
  default     = []

  validation {
    condition     = alltrue([for t in var.alertmanager_targets : can(regex("^[A-Za-z0-9.-]+:[0-9]{1,5}$", t))])
    error_message = "alertmanager_targets: every entry must be host:port, such as 10.128.1.100:9093."
  }
}

# The repository's monitoring/ files (the root module reads them): name or relative path => content. That none
# is empty is checked by the group's preconditions (a variable's validation would run with monitoring off too).
variable "rule_files" {
  type        = map(string)
  description = "Prometheus rule files, file name => content (monitoring/prometheus/rules/*.yml); written to /etc/shs-monitoring/prometheus/rules/, loaded by rule_files: [/etc/prometheus/rules/*.yml]."

  validation {
    condition     = alltrue([for n in keys(var.rule_files) : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*\\.yml$", n))])
    error_message = "rule_files: each named <name>.yml (Prometheus loads *.yml; rename a .yaml file), with no directory."
  }
}

variable "dashboards" {
  type        = map(string)
  description = "Grafana dashboards, file name => JSON (monitoring/grafana/dashboards/*.json); written to /etc/shs-monitoring/grafana/dashboards/, Grafana's /etc/grafana/dashboards."

  validation {
    condition     = alltrue([for n in keys(var.dashboards) : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*\\.json$", n))])
    error_message = "dashboards: each named <name>.json, with no directory."
  }
}

variable "grafana_provisioning" {
  type        = map(string)
  description = "Grafana provisioning, path relative to monitoring/grafana/provisioning => content (datasources/prometheus.yml, dashboards/shs.yml, ...); written under /etc/shs-monitoring/grafana/provisioning/, Grafana's /etc/grafana/provisioning."

  validation {
    condition     = alltrue([for p in keys(var.grafana_provisioning) : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$", p))])
    error_message = "grafana_provisioning: each a relative path of plain names (no '..', no leading '/')."
  }
}

variable "retention" {
  type        = string
  description = "How long Prometheus keeps samples."
  default     = "15d"
}

variable "platform_id" {
  type        = string
  description = "VM platform."
  default     = "standard-v3"
}

variable "ssh_public_key" {
  type        = string
  description = "OpenSSH public key for the VM's login user; empty: none."
  default     = ""
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource."
  default     = {}
}
