# The database VM group: one VM that never grows or shrinks, its data on a separate disk attached through the
# group's variables, snapshots on a schedule, the password only by secret id, and the image by digest.
mock_provider "yandex" {}

override_resource {
  target = yandex_compute_disk.data
  values = { id = "disk-pgdata" }
}

variables {
  name                     = "shs-test"
  zone                     = "ru-central1-a"
  subnet_id                = "subnet-a"
  ip                       = "10.128.1.5"
  security_group_id        = "sg-db"
  group_service_account_id = "sa-ig"
  vm_service_account_id    = "sa-db"
  coi_image_id             = "coi-1"
  postgres_image           = "docker.io/library/postgres:16-alpine@sha256:57c72fd2a128e416c7fcc499958864df5301e940bca0a56f58fddf30ffc07777"
  secret_id                = "e6q-secret-id"
  secret_key               = "password"
}

run "never_grows_never_shrinks" {
  command = plan

  assert {
    condition     = one(yandex_compute_instance_group.db.deploy_policy).max_expansion == 0 && one(yandex_compute_instance_group.db.deploy_policy).max_unavailable == 1
    error_message = "the database group updates in place and never adds a second VM (max_expansion = 0)"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.db.scale_policy).fixed_scale).size == 1
    error_message = "exactly one database VM"
  }

  assert {
    condition     = yandex_compute_instance_group.db.deletion_protection == true
    error_message = "the group refuses to be deleted by default"
  }
}

run "data_on_its_own_disk" {
  command = plan

  assert {
    condition     = one(one(yandex_compute_instance_group.db.instance_template).secondary_disk).disk_id == "{pgdisk_{instance.tag}}" && yandex_compute_instance_group.db.variables["pgdisk_pg1"] == "disk-pgdata"
    error_message = "the template attaches the existing data disk through the group's variables"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.db.instance_template).secondary_disk).device_name == "pgdata" && strcontains(output.compose, "device_name: \"pgdata\"")
    error_message = "the disk's device name matches the compose spec's x-yc-disks (else COI cannot mount it)"
  }

  assert {
    condition     = one(yandex_compute_instance_group.db.allocation_policy).zones == toset(["ru-central1-a"]) && yandex_compute_disk.data.zone == "ru-central1-a"
    error_message = "the VM is pinned to its disk's zone"
  }

  assert {
    condition     = yandex_compute_snapshot_schedule.data.disk_ids == toset(["disk-pgdata"]) && one(yandex_compute_snapshot_schedule.data.schedule_policy).expression == "0 3 * * *" && yandex_compute_snapshot_schedule.data.snapshot_count == 7
    error_message = "daily snapshots of the data disk, seven kept"
  }

  assert {
    condition     = yandex_compute_instance_group.db.variables["ip_pg1"] == "10.128.1.5" && one(one(yandex_compute_instance_group.db.instance_template).network_interface).ip_address == "{ip_{instance.tag}}"
    error_message = "the database VM keeps its fixed address"
  }
}

run "password_by_secret_id_only" {
  command = plan

  assert {
    condition     = strcontains(output.user_data, "e6q-secret-id") && !strcontains(output.compose, "e6q-secret-id")
    error_message = "the per-boot script carries the secret's id; the compose spec needs nothing of it"
  }

  assert {
    condition     = strcontains(output.compose, "POSTGRES_PASSWORD_FILE") && !can(regex("POSTGRES_PASSWORD\\s*:", output.compose))
    error_message = "PostgreSQL reads its password from the tmpfs file"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.db.instance_template).metadata_options).gce_http_token == 1
    error_message = "the VM's service-account token is available to the per-boot script (metadata service)"
  }

  assert {
    condition     = one(one(yandex_compute_instance_group.db.instance_template).network_interface).nat == false
    error_message = "no public address unless asked"
  }
}

run "no_exporters_unless_monitored" {
  command = plan

  assert {
    condition     = keys(yamldecode(output.compose).services) == ["postgres"] && jsonencode(output.metrics_targets) == jsonencode({ node = [], postgres = [] })
    error_message = "without the monitoring node, PostgreSQL runs alone"
  }
}

run "exporters_for_the_monitoring_node" {
  command = plan

  variables {
    node_exporter_image     = "docker.io/prom/node-exporter:v1.9.1@sha256:d00a542e409ee618a4edc67da14dd48c5da66726bbd5537ab2af9c1dfc442c8a"
    postgres_exporter_image = "quay.io/prometheuscommunity/postgres-exporter:v0.17.1@sha256:38606faa38c54787525fb0ff2fd6b41b4cfb75d455c1df294927c5f611699b17"
  }

  assert {
    condition     = jsonencode(output.metrics_targets) == jsonencode({ node = ["10.128.1.5:9100"], postgres = ["10.128.1.5:9187"] })
    error_message = "Prometheus finds node-exporter and postgres_exporter at the database's fixed address"
  }

  assert {
    condition     = yamldecode(output.compose).services["node-exporter"].image == var.node_exporter_image && yamldecode(output.compose).services["node-exporter"].command == ["--path.rootfs=/host", "--web.listen-address=:9100"] && yamldecode(output.compose).services["node-exporter"].volumes == ["/:/host:ro,rslave"] && yamldecode(output.compose).services["node-exporter"].pid == "host"
    error_message = "node-exporter by digest sees the host's / read-only as /host (the data disk's filesystem included)"
  }

  assert {
    condition = yamldecode(output.compose).services["postgres-exporter"].image == var.postgres_exporter_image && yamldecode(output.compose).services["postgres-exporter"].user == "70:70" && yamldecode(output.compose).services["postgres-exporter"].environment == {
      DATA_SOURCE_URI       = "127.0.0.1:5432/shs?sslmode=disable"
      DATA_SOURCE_USER      = "shs"
      DATA_SOURCE_PASS_FILE = "/run/secrets/shs/db_password"
    } && yamldecode(output.compose).services["postgres-exporter"].volumes == ["/run/shs:/run/secrets/shs:ro"]
    error_message = "postgres_exporter by digest, as the database's uid, reading the password from the same tmpfs file, never from the spec"
  }

  assert {
    condition     = strcontains(output.user_data, "e6q-secret-id") && !strcontains(output.compose, "e6q-secret-id")
    error_message = "still only the per-boot script knows the secret (by id)"
  }
}

run "refuses_an_exporter_by_tag" {
  command = plan

  variables {
    postgres_exporter_image = "quay.io/prometheuscommunity/postgres-exporter:latest"
    node_exporter_image     = "prom/node-exporter"
  }

  expect_failures = [var.postgres_exporter_image, var.node_exporter_image]
}

run "refuses_an_image_by_tag" {
  command = plan

  variables {
    postgres_image = "postgres:16"
  }

  expect_failures = [var.postgres_image]
}

run "refuses_a_tiny_disk" {
  command = plan

  variables {
    disk_size = 5
  }

  expect_failures = [var.disk_size]
}
