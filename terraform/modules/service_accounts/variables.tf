variable "names" {
  type        = map(string)
  description = "Role => service account name, e.g. { groups = \"shs-ig\", app = \"shs-app\" }."

  validation {
    condition     = alltrue([for n in values(var.names) : can(regex("^[a-z][-a-z0-9]{1,61}[a-z0-9]$", n))])
    error_message = "names: every value must be a service account name (3-63 lowercase letters, digits, hyphens)."
  }
}
