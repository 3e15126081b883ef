variable "name" {
  type        = string
  description = "Prefix of the resources' names."
}

variable "image" {
  type        = string
  description = "The SHS image by digest, cr.yandex/<registry>/shs@sha256:..."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be referenced by digest, registry/repository@sha256:<64 hex digits> (a tag can point at different images on different nodes)."
  }
}

variable "nodes" {
  type = map(object({
    zone = string
    ip   = string
  }))
  description = "One entry per node: instance tag => its zone and fixed internal IPv4 address."

  validation {
    condition     = length(var.nodes) >= 1 && alltrue([for t in keys(var.nodes) : can(regex("^[a-z][a-z0-9]{0,15}$", t))])
    error_message = "nodes needs at least one entry; tags are 1-16 lowercase letters and digits, starting with a letter."
  }

  validation {
    condition     = length(distinct([for n in values(var.nodes) : n.ip])) == length(var.nodes)
    error_message = "nodes: every node needs an address of its own."
  }
}

variable "port" {
  type        = number
  description = "The port SHS listens on."
  default     = 8080
}

variable "subnet_ids" {
  type        = map(string)
  description = "zone => subnet id (at least the nodes' zones)."
}

variable "security_group_id" {
  type        = string
  description = "The app tier's security group."
}

variable "group_service_account_id" {
  type        = string
  description = "The account the instance group acts as."
}

variable "vm_service_account_id" {
  type        = string
  description = "The VMs' own account: pulls the image, reads the password secret."
}

variable "coi_image_id" {
  type        = string
  description = "The Container Optimized Image for the boot disks."
}

variable "database_hosts" {
  type        = list(string)
  description = "PostgreSQL as host:port, in failover order."
}

variable "database" {
  type        = string
  description = "Database name."
  default     = "shs"
}

variable "database_user" {
  type        = string
  description = "Database role."
  default     = "shs"
}

variable "database_ca_url" {
  type        = string
  description = "Where the VMs fetch the CA certificate the database's TLS chains to; empty: connect without TLS (the database VM on the private network)."
  default     = ""
}

variable "secret_id" {
  type        = string
  description = "The Lockbox secret holding the database password."
}

variable "secret_key" {
  type        = string
  description = "Its payload entry."
}

variable "dataset_scale" {
  type        = number
  description = "Size of the dataset the first start loads, as a fraction of the full one (1 = 500,000 customers, 5,000,000 sessions)."
  default     = 1

  validation {
    condition     = var.dataset_scale > 0 && var.dataset_scale <= 10
    error_message = "dataset_scale must be in (0, 10]."
  }
}

variable "platform_id" {
  type        = string
  description = "VM platform."
  default     = "standard-v3"
}

variable "cores" {
  type        = number
  description = "vCPUs per node."
  default     = 2
}

variable "memory" {
  type        = number
  description = "Memory per node, GB."
  default     = 2
}

variable "core_fraction" {
  type        = number
  description = "Guaranteed vCPU share, percent (20, 50 or 100)."
  default     = 100
}

variable "preemptible" {
  type        = bool
  description = "Preemptible VMs (cheaper; the cloud may stop them at any time, and stops them every 24 h)."
  default     = false
}

variable "public_ip" {
  type        = bool
  description = "Give every node a public address (they need none)."
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
