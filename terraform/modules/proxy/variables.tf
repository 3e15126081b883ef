variable "name" {
  type        = string
  description = "Prefix of the resources' names."
}

variable "image" {
  type        = string
  description = "The proxy image by digest (built from proxy/), cr.yandex/<registry>/shs-proxy@sha256:..."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$", var.image))
    error_message = "proxy image must be referenced by digest, registry/repository@sha256:<64 hex digits>."
  }
}

variable "nodes" {
  type = map(object({
    zone = string
    ip   = string
  }))
  description = "One entry per proxy: instance tag => its zone and fixed internal IPv4 address."

  validation {
    condition     = length(var.nodes) >= 1 && alltrue([for t in keys(var.nodes) : can(regex("^[a-z][a-z0-9]{0,15}$", t))])
    error_message = "nodes needs at least one entry; tags are 1-16 lowercase letters and digits, starting with a letter."
  }
}

variable "upstreams" {
  type        = list(string)
  description = "The SHS nodes as host:port."

  validation {
    condition     = length(var.upstreams) > 0 && alltrue([for u in var.upstreams : can(regex("^[0-9.]+:[0-9]{1,5}$", u))])
    error_message = "upstreams needs at least one IPv4 host:port."
  }
}

variable "http_port" {
  type        = number
  description = "Plain HTTP port."
  default     = 80
}

variable "https_port" {
  type        = number
  description = "HTTPS port (and UDP for HTTP/3)."
  default     = 443
}

variable "health_port" {
  type        = number
  description = "The internal port of /healthz and /metrics."
  default     = 9145
}

variable "http3" {
  type        = bool
  description = "Serve HTTP/3 on the HTTPS port (needs a proxy image whose nginx has it, and UDP reaching the VMs)."
  default     = false
}

variable "certificate_id" {
  type        = string
  description = "Certificate Manager certificate the proxies fetch at start and on renewal; empty: self-signed."
  default     = ""
}

variable "subnet_ids" {
  type        = map(string)
  description = "zone => subnet id (at least the proxies' zones)."
}

variable "security_group_id" {
  type        = string
  description = "The proxy tier's security group."
}

variable "group_service_account_id" {
  type        = string
  description = "The account the instance group acts as (it also registers the VMs in the target group)."
}

variable "vm_service_account_id" {
  type        = string
  description = "The VMs' own account: pulls the image, downloads the certificate."
}

variable "coi_image_id" {
  type        = string
  description = "The Container Optimized Image for the boot disks."
}

variable "platform_id" {
  type        = string
  description = "VM platform."
  default     = "standard-v3"
}

variable "cores" {
  type        = number
  description = "vCPUs per proxy."
  default     = 2
}

variable "memory" {
  type        = number
  description = "Memory per proxy, GB."
  default     = 1
}

variable "core_fraction" {
  type        = number
  description = "Guaranteed vCPU share, percent (20, 50 or 100)."
  default     = 50
}

variable "preemptible" {
  type        = bool
  description = "Preemptible VMs."
  default     = false
}

variable "public_ip" {
  type        = bool
  description = "Give every proxy a public address (needed only for HTTP/3 without a UDP listener on the balancer)."
  default     = false
}

variable "ssh_public_key" {
  type        = string
  description = "OpenSSH public key for the VMs' login user; empty: none."
  default     = ""
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource."
  default     = {}
}
