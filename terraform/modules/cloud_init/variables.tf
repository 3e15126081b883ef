variable "ssh_public_key" {
  type        = string
  description = "An OpenSSH public key for ssh_user; empty: no user is made (and the security groups keep 22 closed unless ssh_cidrs is set)."
  default     = ""

  validation {
    condition     = var.ssh_public_key == "" || can(regex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$", var.ssh_public_key))
    error_message = "ssh_public_key must be one OpenSSH public key line (ssh-ed25519 AAAA... comment), never a private key."
  }
}

variable "ssh_user" {
  type        = string
  description = "The login made for ssh_public_key."
  default     = "shs"
}

variable "write_files" {
  type = list(object({
    path        = string
    content     = string
    permissions = string
  }))
  description = "Files cloud-init writes (owner root) before the commands run."
  default     = []
}

variable "bootcmd" {
  type        = list(list(string))
  description = "Commands run early on every boot (argv lists)."
  default     = []
}

variable "runcmd" {
  type        = list(list(string))
  description = "Commands run once, on the first boot (argv lists)."
  default     = []
}
