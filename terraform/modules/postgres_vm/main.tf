# PostgreSQL on an instance group of one (Container Optimized Image): auto-healed like the other tiers, its
# data on a disk of its own that outlives any re-creation of the VM.
#   - The disk is a separate resource with prevent_destroy, attached to the group's template by id (through the
#     group's variables, as the template's secondary_disk.disk_id requires). Deleting or re-creating the VM,
#     or the whole group, leaves it alone; a plan that would destroy it is refused.
#   - The group never grows during an update (max_expansion = 0: a second VM could not attach the disk) and
#     never shrinks (size fixed at 1). An update restarts the one VM in place.
#   - Snapshots of the disk on a schedule.
#   - With the monitoring node: prometheus node-exporter (the host's filesystems, the data disk's included) and
#     postgres_exporter (as the database's own uid, reading the same tmpfs password file) beside PostgreSQL.
locals {
  tag         = "pg1"
  device_name = "pgdata"
  data_mount  = "/mnt/pgdata"
  secret_dir  = "/run/shs"
  secret_file = "db_password"

  compose = templatefile("${path.module}/compose.yaml.tftpl", {
    image         = var.postgres_image
    database      = var.database
    user          = var.user
    data_mount    = local.data_mount
    device_name   = local.device_name
    password_dir  = local.secret_dir
    password_file = local.secret_file
    shm_size      = "256m"
    command = [
      "postgres",
      "-c", "max_connections=${var.max_connections}",
      "-c", "shared_buffers=${floor(var.memory * 1024 / 4)}MB",
      "-c", "effective_cache_size=${floor(var.memory * 1024 * 3 / 4)}MB",
      "-c", "log_min_duration_statement=1000",
    ]
    log_max_size  = "10m"
    log_max_files = 3

    # Metrics, only when the monitoring node scrapes them (empty image: not run).
    port                    = var.port
    uid                     = var.postgres_uid
    node_exporter_image     = var.node_exporter_image
    node_exporter_port      = var.node_exporter_port
    postgres_exporter_image = var.postgres_exporter_image
    postgres_exporter_port  = var.postgres_exporter_port
  })
}

module "user_data" {
  source = "../cloud_init"

  ssh_public_key = var.ssh_public_key
  lockbox_files = [{
    name = "shs-db-password"
    about = [
      "Installed by cloud-init (terraform/modules/postgres_vm) as a per-boot script of the database VM: reads the",
      "database password from Lockbox with the VM's service account and writes it to tmpfs for the PostgreSQL",
      "container (POSTGRES_PASSWORD_FILE). Only the secret's id is in this file; the value never touches the disk",
      "or the log. Python's standard library only: cloud-init itself runs on Python.",
    ]
    what      = "the database password"
    secret_id = var.secret_id
    key       = var.secret_key
    dir       = local.secret_dir
    file      = local.secret_file
    owner_uid = var.postgres_uid
  }]
}

resource "yandex_compute_disk" "data" {
  name   = "${var.name}-pgdata"
  zone   = var.zone
  size   = var.disk_size
  type   = var.disk_type
  labels = var.labels

  lifecycle {
    prevent_destroy = true
  }
}

resource "yandex_compute_snapshot_schedule" "data" {
  name           = "${var.name}-pgdata"
  disk_ids       = [yandex_compute_disk.data.id]
  snapshot_count = var.snapshot_count
  labels         = var.labels

  schedule_policy {
    expression = var.snapshot_schedule
  }

  snapshot_spec {
    description = "PostgreSQL data of ${var.name}"
    labels      = var.labels
  }
}

resource "yandex_compute_instance_group" "db" {
  name                         = "${var.name}-db"
  description                  = "PostgreSQL of SHS (one VM; data on ${yandex_compute_disk.data.name})"
  service_account_id           = var.group_service_account_id
  deletion_protection          = var.deletion_protection
  max_checking_health_duration = 600
  labels                       = var.labels

  instance_template {
    platform_id        = var.platform_id
    service_account_id = var.vm_service_account_id
    name               = "${var.name}-db-{instance.index}"
    hostname           = "${var.name}-db-{instance.index}"
    labels             = var.labels

    resources {
      cores         = var.cores
      memory        = var.memory
      core_fraction = var.core_fraction
    }

    boot_disk {
      initialize_params {
        image_id = var.coi_image_id
        size     = 30
        type     = "network-hdd"
      }
    }

    secondary_disk {
      disk_id     = "{pgdisk_{instance.tag}}"
      device_name = local.device_name
      mode        = "READ_WRITE"
    }

    network_interface {
      subnet_ids         = [var.subnet_id]
      ip_address         = "{ip_{instance.tag}}"
      security_group_ids = [var.security_group_id]
      nat                = var.public_ip
    }

    metadata = {
      docker-compose     = local.compose
      user-data          = module.user_data.user_data
      serial-port-enable = "0"
    }

    metadata_options {
      gce_http_endpoint = 1
      gce_http_token    = 1
      aws_v1_http_token = 2
      aws_v2_http_token = 2
    }
  }

  variables = {
    "ip_${local.tag}"     = var.ip
    "pgdisk_${local.tag}" = yandex_compute_disk.data.id
  }

  scale_policy {
    fixed_scale {
      size = 1
    }
  }

  allocation_policy {
    zones = [var.zone]
    instance_tags_pool {
      zone = var.zone
      tags = [local.tag]
    }
  }

  deploy_policy {
    max_unavailable  = 1
    max_expansion    = 0
    max_creating     = 1
    max_deleting     = 1
    startup_duration = 60
  }

  health_check {
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 6
    tcp_options {
      port = var.port
    }
  }

  lifecycle {
    precondition {
      condition     = !can(regex("(POSTGRES_PASSWORD|DATA_SOURCE_PASS|DATA_SOURCE_NAME)\\s*:", file("${path.module}/compose.yaml.tftpl")))
      error_message = "The database's compose spec carries a password (POSTGRES_PASSWORD, or postgres_exporter's DATA_SOURCE_PASS or DATA_SOURCE_NAME); only the ..._FILE variables naming the tmpfs file, filled from Lockbox at boot, may."
    }
  }
}
