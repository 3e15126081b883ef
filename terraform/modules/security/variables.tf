variable "name" {
  type        = string
  description = "Prefix of the security groups' names."
}

variable "network_id" {
  type        = string
  description = "The VPC the groups belong to."
}

variable "app_port" {
  type        = number
  description = "The port SHS listens on (proxies and the app group's health checks reach it)."
}

variable "db_port" {
  type        = number
  description = "The port PostgreSQL answers on: 5432 on the database VM, 6432 on Managed PostgreSQL."
}

variable "proxy_http_port" {
  type        = number
  description = "The proxies' plain HTTP port."
  default     = 80
}

variable "proxy_https_port" {
  type        = number
  description = "The proxies' HTTPS port (TCP; UDP too when http3_udp is true)."
  default     = 443
}

variable "proxy_health_port" {
  type        = number
  description = "The proxies' internal port: /healthz for the load balancer and the group, /metrics for Prometheus."
}

variable "http3_udp" {
  type        = bool
  description = "Admit UDP on the HTTPS port from the internet (HTTP/3)."
  default     = false
}

variable "ssh_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to SSH (port 22) into every VM. Empty: SSH closed."
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "ssh_cidrs: every entry must be an IPv4 CIDR such as 203.0.113.7/32."
  }
}

variable "monitoring" {
  type        = bool
  description = "Create the monitoring node's group and let it scrape the proxies and the apps."
  default     = false
}

variable "db_metrics_ports" {
  type        = list(number)
  description = "Ports of the exporters on the database VM (node-exporter 9100, postgres_exporter 9187) that the monitoring node scrapes; only with monitoring. Empty: none (Managed PostgreSQL runs no exporter of ours)."
  default     = []
}

variable "admin_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach Prometheus (9090) and Grafana (3000) on the monitoring node."
  default     = []

  validation {
    condition     = alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0))])
    error_message = "admin_cidrs: every entry must be an IPv4 CIDR such as 203.0.113.7/32."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every group."
  default     = {}
}
