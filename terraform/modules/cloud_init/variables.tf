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
    encoding    = optional(string)
  }))
  description = "Files cloud-init writes (owner root) before the commands run. encoding: null (content as is), \"b64\" (content is base64) or \"gz+b64\" (content is base64gzip(...): a large file fits the metadata's size limit)."
  default     = []

  validation {
    condition     = alltrue([for f in var.write_files : f.encoding == null || contains(["b64", "gz+b64"], coalesce(f.encoding, "-"))])
    error_message = "write_files: encoding must be null, \"b64\" or \"gz+b64\"."
  }
}

variable "lockbox_files" {
  type = list(object({
    name      = string       # the script's name (per-boot/10-<name>) and its log prefix, e.g. shs-db-password
    about     = list(string) # the comment at the top of the script: what it is for, one line each
    what      = string       # what it reads, for its error message ("the database password")
    secret_id = string       # the Lockbox secret: its id is all the script holds
    key       = string       # the payload entry
    dir       = string       # a directory on tmpfs (/run/...), made 0700 and owned by owner_uid
    file      = string       # the file in dir, 0400, owned by owner_uid
    owner_uid = number       # the uid of the container that reads the file
  }))
  description = "Per-boot scripts that read a Lockbox secret with the VM's service account (metadata token) and write it to a file on tmpfs, for a container to read (..._FILE variables). The value is never in the metadata."
  default     = []

  validation {
    condition = alltrue([for s in var.lockbox_files :
      can(regex("^[a-z0-9][a-z0-9-]*$", s.name)) && can(regex("^/run/[A-Za-z0-9._/-]+$", s.dir)) && can(regex("^[A-Za-z0-9._-]+$", s.file)) &&
      alltrue([for l in s.about : !strcontains(l, "\n")]) && floor(s.owner_uid) == s.owner_uid && s.owner_uid >= 0
    ])
    error_message = "lockbox_files: name of lowercase letters, digits and '-'; dir under /run/ (tmpfs: the value must never reach a disk); file a plain name; about lines without newlines; owner_uid a uid."
  }
}

variable "bootcmd" {
  type        = list(list(string))
  description = "Commands run early on every boot (argv lists), before the metadata_files commands."
  default     = []
}

variable "runcmd" {
  type        = list(list(string))
  description = "Commands run once, on the first boot (argv lists)."
  default     = []
}

variable "metadata_files" {
  type = list(object({
    name     = string       # the log prefix, e.g. shs-monitoring-files
    about    = list(string) # the comment at the top of the script: what it is for, one line each
    key      = string       # the metadata key holding base64(gzip(JSON {relative path: content}))
    hash_key = string       # the metadata key holding the SHA-256 (hex) of that JSON: checked before anything is written
    dir      = string       # where the files go (root, 0644; directories 0755); files in it that the map lacks are removed
  }))
  description = "Files written at every boot (a boot command, before the containers start) from the instance's own metadata: one key holds them all as a gzip+base64 JSON map of relative path => content, another its SHA-256. Unlike write_files, a change reaches a VM that is restarted, not only a new one."
  default     = []

  validation {
    condition = alltrue([for m in var.metadata_files :
      can(regex("^[a-z0-9][a-z0-9-]*$", m.name)) && can(regex("^[a-z0-9][a-z0-9-]*$", m.key)) && can(regex("^[a-z0-9][a-z0-9-]*$", m.hash_key)) &&
      m.key != m.hash_key && can(regex("^(/[A-Za-z0-9][A-Za-z0-9._-]*){2,}$", m.dir)) && alltrue([for l in m.about : !strcontains(l, "\n")])
    ])
    error_message = "metadata_files: name, key and hash_key of lowercase letters, digits and '-' (two different keys); dir an absolute path at least two levels deep (/etc/<name>: its files not in the metadata are removed); about lines without newlines."
  }
}
