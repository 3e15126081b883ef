# cloud-init user-data for a Container Optimized Image VM, built as data and encoded with yamlencode, so what
# the modules pass in can never break the YAML: the SSH user (only when a key is given), files to write, and
# commands to run. The containers themselves come from the docker-compose metadata key, not from here.
locals {
  users = var.ssh_public_key == "" ? [] : [{
    name                = var.ssh_user
    groups              = "sudo"
    shell               = "/bin/bash"
    sudo                = "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys = [var.ssh_public_key]
  }]

  config = merge(
    { ssh_pwauth = false },
    length(local.users) > 0 ? { users = local.users } : {},
    length(var.write_files) > 0 ? {
      write_files = [for f in var.write_files : {
        path        = f.path
        permissions = f.permissions
        owner       = "root:root"
        content     = f.content
      }]
    } : {},
    length(var.bootcmd) > 0 ? { bootcmd = var.bootcmd } : {},
    length(var.runcmd) > 0 ? { runcmd = var.runcmd } : {},
  )
}
