variable "name" {
  type        = string
  description = "Prefix of the resources' names."
}

variable "zone" {
  type        = string
  description = "The zone of the VM and its data disk (a disk cannot move between zones)."
}

variable "subnet_id" {
  type        = string
  description = "The subnet in that zone."
}

variable "ip" {
  type        = string
  description = "The VM's fixed internal IPv4 address (the SHS instances connect to it)."

  validation {
    condition     = can(cidrhost("${var.ip}/32", 0))
    error_message = "ip must be an IPv4 address."
  }
}

variable "port" {
  type        = number
  description = "PostgreSQL's port."
  default     = 5432
}

variable "security_group_id" {
  type        = string
  description = "The database tier's security group."
}

variable "group_service_account_id" {
  type        = string
  description = "The account the instance group acts as (creates, restarts, deletes the VM)."
}

variable "vm_service_account_id" {
  type        = string
  description = "The VM's own account: pulls the image, reads the password secret."
}

variable "coi_image_id" {
  type        = string
  description = "The Container Optimized Image for the boot disk."
}

variable "postgres_image" {
  type        = string
  description = "The PostgreSQL image by digest (registry/repository[:tag]@sha256:...)."

  validation {
    condition     = can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.postgres_image))
    error_message = "postgres_image must be referenced by digest (...@sha256:<64 hex digits>): a tag can move under a running database."
  }
}

variable "postgres_uid" {
  type        = number
  description = "The uid the PostgreSQL image runs as (70 in the Alpine images, 999 in the Debian ones): the password file is made readable by it only."
  default     = 70
}

variable "database" {
  type        = string
  description = "The database SHS uses."
  default     = "shs"
}

variable "user" {
  type        = string
  description = "The role SHS connects as (the owner of the database)."
  default     = "shs"
}

variable "secret_id" {
  type        = string
  description = "The Lockbox secret holding the password (its id is all this module sees)."
}

variable "secret_key" {
  type        = string
  description = "The payload entry of the password."
}

variable "disk_size" {
  type        = number
  description = "Data disk size in GB. It can only grow: a smaller value is refused by the cloud."
  default     = 20

  validation {
    condition     = var.disk_size >= 10 && floor(var.disk_size) == var.disk_size
    error_message = "disk_size must be a whole number of GB, at least 10 (the full dataset with indexes takes about 2 GB)."
  }
}

variable "disk_type" {
  type        = string
  description = "Data disk type."
  default     = "network-ssd"

  validation {
    condition     = contains(["network-hdd", "network-ssd", "network-ssd-nonreplicated", "network-ssd-io-m3"], var.disk_type)
    error_message = "disk_type must be network-hdd, network-ssd, network-ssd-nonreplicated or network-ssd-io-m3."
  }
}

variable "snapshot_schedule" {
  type        = string
  description = "Cron expression (UTC) of the data disk's snapshots."
  default     = "0 3 * * *"

  validation {
    condition     = length(split(" ", trimspace(var.snapshot_schedule))) == 5
    error_message = "snapshot_schedule must be a five-field cron expression such as \"0 3 * * *\"."
  }
}

variable "snapshot_count" {
  type        = number
  description = "How many snapshots to keep."
  default     = 7

  validation {
    condition     = var.snapshot_count >= 1 && var.snapshot_count <= 100
    error_message = "snapshot_count must be 1-100."
  }
}

variable "max_connections" {
  type        = number
  description = "PostgreSQL's max_connections (every SHS instance opens database.pool_size plus a probe connection)."
  default     = 200
}

variable "platform_id" {
  type        = string
  description = "VM platform."
  default     = "standard-v3"
}

variable "cores" {
  type        = number
  description = "vCPUs."
  default     = 2
}

variable "memory" {
  type        = number
  description = "Memory in GB."
  default     = 4
}

variable "core_fraction" {
  type        = number
  description = "Guaranteed vCPU share, percent (20, 50 or 100)."
  default     = 100
}

variable "public_ip" {
  type        = bool
  description = "Give the VM a public address (it needs none: the NAT gateway carries its traffic)."
  default     = false
}

variable "ssh_public_key" {
  type        = string
  description = "OpenSSH public key for the VM's login user; empty: none."
  default     = ""
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the group."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource."
  default     = {}
}

variable "node_exporter_image" {
  type        = string
  description = "Prometheus node-exporter by digest, run beside PostgreSQL for the monitoring node (the host's filesystems, the data disk's included); empty: not run."
  default     = ""

  validation {
    condition     = var.node_exporter_image == "" || can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.node_exporter_image))
    error_message = "node_exporter_image must be empty or referenced by digest (...@sha256:<64 hex digits>)."
  }
}

variable "node_exporter_port" {
  type        = number
  description = "node-exporter's port (the monitoring tier alone may reach it)."
  default     = 9100
}

variable "postgres_exporter_image" {
  type        = string
  description = "postgres_exporter by digest, run beside PostgreSQL for the monitoring node; it connects as user with the password file the per-boot script writes. Empty: not run."
  default     = ""

  validation {
    condition     = var.postgres_exporter_image == "" || can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.postgres_exporter_image))
    error_message = "postgres_exporter_image must be empty or referenced by digest (...@sha256:<64 hex digits>)."
  }
}

variable "postgres_exporter_port" {
  type        = number
  description = "postgres_exporter's port (the monitoring tier alone may reach it)."
  default     = 9187
}
