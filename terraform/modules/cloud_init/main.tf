# cloud-init user-data for a Container Optimized Image VM, built as data and encoded with yamlencode, so what
# the modules pass in can never break the YAML: the SSH user (only when a key is given), files to write
# (optionally gzip+base64-encoded by the caller, for the metadata's size limit), per-boot scripts that copy a
# Lockbox secret to tmpfs, boot commands that write files from other metadata keys, and commands to run. The
# containers themselves come from the docker-compose metadata key, not from here.
locals {
  users = var.ssh_public_key == "" ? [] : [{
    name                = var.ssh_user
    groups              = "sudo"
    shell               = "/bin/bash"
    sudo                = "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys = [var.ssh_public_key]
  }]

  # cloud-init runs the scripts in this directory at every boot (the first one included). Each reads one
  # secret with the VM's service account (only its id is here) and writes the value to a tmpfs file.
  lockbox_scripts = [for s in var.lockbox_files : {
    path        = "/var/lib/cloud/scripts/per-boot/10-${s.name}"
    permissions = "0700"
    encoding    = null
    content = templatefile("${path.module}/lockbox-file.py.tftpl", {
      name       = s.name
      about      = s.about
      what       = s.what
      secret_id  = s.secret_id
      secret_key = s.key
      dir        = s.dir
      file       = s.file
      owner_uid  = s.owner_uid
    })
  }]

  files = concat(local.lockbox_scripts, var.write_files)

  # write_files runs on an instance's first boot only. These run at every boot, early (bootcmd: before Docker
  # starts the containers), and take the files from the instance's metadata as it is then, so a restart after a
  # metadata change brings them. The script's text never changes with the files (only its key names and
  # directory are in it), so what cloud-init keeps from the first boot stays right.
  metadata_file_commands = [for m in var.metadata_files : ["python3", "-c", templatefile("${path.module}/metadata-files.py.tftpl", {
    name     = m.name
    about    = m.about
    key      = m.key
    hash_key = m.hash_key
    dir      = m.dir
  })]]
  bootcmd = concat(var.bootcmd, local.metadata_file_commands)

  config = merge(
    { ssh_pwauth = false },
    length(local.users) > 0 ? { users = local.users } : {},
    length(local.files) > 0 ? {
      write_files = [for f in local.files : merge(
        {
          path        = f.path
          permissions = f.permissions
          owner       = "root:root"
          content     = f.content
        },
        f.encoding == null ? {} : { encoding = f.encoding },
      )]
    } : {},
    length(local.bootcmd) > 0 ? { bootcmd = local.bootcmd } : {},
    length(var.runcmd) > 0 ? { runcmd = var.runcmd } : {},
  )
}
