variable "folder_id" {
  type        = string
  description = "The folder of SHS (yc config get folder-id)."

  validation {
    condition     = can(regex("^[a-z0-9]{20}$", var.folder_id))
    error_message = "folder_id must be a folder id: 20 lowercase letters and digits, e.g. b1g0123456789abcdefg."
  }
}

variable "bucket" {
  type        = string
  description = "The state bucket's name (bucket names are global across Object Storage: pick your own)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}

variable "lock_database" {
  type        = string
  description = "The serverless YDB database that holds the lock table."
  default     = "shs-tfstate"
}

variable "lock_table" {
  type        = string
  description = "The document table of the state lock (its partition key is LockID)."
  default     = "shs-tfstate-lock"
}

variable "state_service_account" {
  type        = string
  description = "The service account whose static key reads and writes the state (made by hand, with storage.editor and ydb.editor)."
  default     = "shs-tfstate"
}

variable "keep_versions_days" {
  type        = number
  description = "How long an overwritten state stays recoverable."
  default     = 90

  validation {
    condition     = var.keep_versions_days >= 1
    error_message = "keep_versions_days must be at least 1."
  }
}
