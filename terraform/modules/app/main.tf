# The SHS nodes: an instance group on Container Optimized Image running the image by digest (compose spec in
# compose.yaml.tftpl), each node at a fixed internal address that the proxies' upstream list names.
#
# Rollout: in place, one node at a time (max_unavailable = 1, max_expansion = 0). Fixed addresses come from
# Yandex's recipe (instance tags, the group's variables, ip_address = "{ip_{instance.tag}}"), which pairs
# them with max_expansion = 0: a surge node would need an address outside the proxies' list. While one node
# restarts, the proxies' health checks (every 500 ms) take it out of rotation and the other node serves; a new
# image changes only the metadata, so the group restarts the VM rather than re-creating it, and it keeps its
# address.
#
# Auto-healing: the group checks /livez (liveness: the process answers; the database is not checked) every 10 s
# and acts only after 6 failures in a row (a minute), far looser than the proxies' checks of /ping (readiness,
# which a database outage fails on every node: restarting every app VM would not bring the database back).
locals {
  zones = sort(distinct([for n in values(var.nodes) : n.zone]))

  # Variables that would carry the database password itself into the instance metadata.
  password_variables = "SHS_DATABASE_PASSWORD|SHS_DATABASE_PASSWORD_FILE|POSTGRES_PASSWORD|PGPASSWORD"

  environment = merge(
    {
      SHS_DATABASE_HOSTS                      = join(",", var.database_hosts)
      SHS_DATABASE_NAME                       = var.database
      SHS_DATABASE_USER                       = var.database_user
      SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID = var.secret_id
      SHS_DATABASE_PASSWORD_LOCKBOX_KEY       = var.secret_key
      SHS_DATABASE_SSL                        = tostring(var.database_ca_url != "")
      SHS_LOG_LEVEL                           = "info"
    },
    var.database_ca_url != "" ? { SHS_DATABASE_SSL_CA_FILE = "/etc/shs/db-ca.pem" } : {},
  )

  compose = templatefile("${path.module}/compose.yaml.tftpl", {
    image         = var.image
    port          = var.port
    dataset_scale = var.dataset_scale
    environment   = local.environment
    volumes       = var.database_ca_url != "" ? ["/etc/shs:/etc/shs:ro"] : []
    log_max_size  = "10m"
    log_max_files = 3
  })
}

module "user_data" {
  source = "../cloud_init"

  ssh_public_key = var.ssh_public_key
  # Managed PostgreSQL's certificates chain to Yandex's own CA, which is in no system store. The directory is
  # mounted (not the file), so a container that starts first finds no file, exits and is restarted.
  runcmd = var.database_ca_url == "" ? [] : [
    ["mkdir", "-p", "/etc/shs"],
    ["curl", "-fsS", "--retry", "20", "--retry-delay", "3", "--retry-all-errors", "-o", "/etc/shs/db-ca.pem.tmp", var.database_ca_url],
    ["mv", "/etc/shs/db-ca.pem.tmp", "/etc/shs/db-ca.pem"],
  ]
}

resource "yandex_compute_instance_group" "app" {
  name                         = "${var.name}-app"
  description                  = "SHS nodes"
  service_account_id           = var.group_service_account_id
  max_checking_health_duration = 600
  labels                       = var.labels

  instance_template {
    platform_id        = var.platform_id
    service_account_id = var.vm_service_account_id
    name               = "${var.name}-app-{instance.index}"
    hostname           = "${var.name}-app-{instance.index}"
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

    network_interface {
      subnet_ids         = [for z in local.zones : var.subnet_ids[z]]
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

    scheduling_policy {
      preemptible = var.preemptible
    }
  }

  variables = { for tag, n in var.nodes : "ip_${tag}" => n.ip }

  scale_policy {
    fixed_scale {
      size = length(var.nodes)
    }
  }

  allocation_policy {
    zones = local.zones
    dynamic "instance_tags_pool" {
      for_each = local.zones
      content {
        zone = instance_tags_pool.value
        tags = sort([for tag, n in var.nodes : tag if n.zone == instance_tags_pool.value])
      }
    }
  }

  deploy_policy {
    max_unavailable  = 1
    max_expansion    = 0
    max_creating     = 1
    max_deleting     = 1
    startup_duration = 30
  }

  health_check {
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 6
    http_options {
      port = var.port
      path = "/livez"
    }
  }

  lifecycle {
    # Checked on what is known at plan time (the template and the variables' names; the rendered spec holds
    # the secret's id, known only after apply), so a password never reaches even a plan.
    precondition {
      condition = (
        !can(regex("(${local.password_variables})\\s*:", file("${path.module}/compose.yaml.tftpl")))
        && length([for k in keys(local.environment) : k if can(regex("^(${local.password_variables})$", k))]) == 0
      )
      error_message = "The app's compose spec carries a database password (SHS_DATABASE_PASSWORD, SHS_DATABASE_PASSWORD_FILE, POSTGRES_PASSWORD or PGPASSWORD); only the Lockbox secret's id may travel in metadata."
    }
  }
}
