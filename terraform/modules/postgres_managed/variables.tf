variable "name" {
  type        = string
  description = "The cluster's name."
}

variable "network_id" {
  type        = string
  description = "The VPC."
}

variable "subnet_ids" {
  type        = map(string)
  description = "zone => subnet id: one host in each (the first is the primary, the others replicas)."
}

variable "security_group_id" {
  type        = string
  description = "The database tier's security group (port 6432 from the SHS instances)."
}

variable "postgres_version" {
  type        = string
  description = "PostgreSQL major version."
  default     = "16"

  validation {
    condition     = contains(["14", "15", "16", "17"], var.postgres_version)
    error_message = "postgres_version must be 14, 15, 16 or 17."
  }
}

variable "resource_preset_id" {
  type        = string
  description = "Host class, e.g. s3-c2-m8 (2 vCPU, 8 GB)."
  default     = "s3-c2-m8"
}

variable "disk_type" {
  type        = string
  description = "Storage type."
  default     = "network-ssd"
}

variable "disk_size" {
  type        = number
  description = "Storage per host, GB."
  default     = 20
}

variable "database" {
  type        = string
  description = "The database SHS uses."
  default     = "shs"
}

variable "user" {
  type        = string
  description = "The role SHS connects as."
  default     = "shs"
}

variable "conn_limit" {
  type        = number
  description = "Connections the role may open (every SHS instance opens database.pool_size plus one)."
  default     = 100
}

variable "readers" {
  type        = map(string)
  description = "Who may read the password: a static name => service account id."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the cluster."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the cluster."
  default     = {}
}
