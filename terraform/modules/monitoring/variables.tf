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
  description = "The VM's own account (pulls the images; no other role)."
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

variable "app_targets" {
  type        = list(string)
  description = "SHS nodes as host:port (their /metrics)."
}

variable "proxy_targets" {
  type        = list(string)
  description = "Proxies as host:port of their metrics port."
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
