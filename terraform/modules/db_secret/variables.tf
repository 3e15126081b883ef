variable "name" {
  type        = string
  description = "The secret's name, e.g. shs-production-db-password."
}

variable "key" {
  type        = string
  description = "The payload entry that holds the password."
  default     = "password"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,256}$", var.key))
    error_message = "key: 1-256 letters, digits, '_', '.' or '-'."
  }
}

variable "readers" {
  type        = map(string)
  description = "Who may read the password: a static name => service account id (the VM accounts of the app and the database)."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the secret (the database's password would be lost with it)."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the secret."
  default     = {}
}
