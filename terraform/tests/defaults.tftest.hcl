# The root module with production.tfvars' defaults, planned against the provider's schema with a mock provider
# (no cloud, no credentials): what one apply creates, and the properties the design promises.
mock_provider "yandex" {}

variables {
  environment = "production"
  image       = "cr.yandex/crp0test/shs@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  proxy_image = "cr.yandex/crp0test/shs-proxy@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
}

run "defaults" {
  command = plan

  assert {
    condition     = length(module.network.subnet_ids) == 1 && contains(keys(module.network.subnet_ids), "ru-central1-a")
    error_message = "one subnet, in ru-central1-a, by default"
  }

  assert {
    condition     = length(module.app.upstreams) == 2 && length(module.proxy.addresses) == 2
    error_message = "two app nodes and two proxies by default"
  }

  assert {
    condition     = module.app.upstreams == ["10.128.1.10:8080", "10.128.1.11:8080"]
    error_message = "the app nodes' fixed addresses are the proxies' upstreams"
  }

  assert {
    condition     = length(module.postgres_vm) == 1 && length(module.postgres_managed) == 0 && length(module.db_secret) == 1
    error_message = "the database VM (not the managed cluster) with a Lockbox secret by default"
  }

  assert {
    condition     = length(module.dns_certificate) == 0 && length(module.monitoring) == 0
    error_message = "no domain and no monitoring node unless asked"
  }

  assert {
    condition     = output.https_url == ""
    error_message = "no HTTPS URL to smoke-check without a domain (the certificate would be self-signed)"
  }

  assert {
    condition     = module.postgres_vm[0].hosts == ["10.128.1.5:5432"]
    error_message = "the database at its fixed address"
  }
}

run "compose_specs" {
  command = plan

  # The SHS nodes: the image by digest, the secret's id and key, and no password.
  assert {
    condition     = strcontains(module.app.compose, "image: \"${var.image}\"")
    error_message = "the app's compose spec runs the image by its digest"
  }

  assert {
    condition     = strcontains(module.app.compose, "SHS_DATABASE_PASSWORD_LOCKBOX_SECRET_ID:") && strcontains(module.app.compose, "SHS_DATABASE_PASSWORD_LOCKBOX_KEY: \"password\"")
    error_message = "the app reads its password from the Lockbox secret it is given"
  }

  assert {
    condition     = !can(regex("(SHS_DATABASE_PASSWORD|POSTGRES_PASSWORD|PGPASSWORD)\\s*:", module.app.compose))
    error_message = "no password in the app's compose spec"
  }

  assert {
    condition     = strcontains(module.app.compose, "SHS_DATABASE_HOSTS: \"10.128.1.5:5432\"")
    error_message = "the app connects to the database VM"
  }

  # The proxies: upstreams are the app nodes; no certificate without a domain.
  assert {
    condition     = strcontains(module.proxy.compose, "PROXY_PEERS: \"10.128.1.10:8080,10.128.1.11:8080\"") && strcontains(module.proxy.compose, "PROXY_CERTIFICATE_ID: \"\"")
    error_message = "the proxies balance over the app nodes and serve a self-signed certificate without a domain"
  }

  assert {
    condition     = strcontains(module.proxy.compose, "image: \"${var.proxy_image}\"")
    error_message = "the proxy image by digest"
  }

  # The database VM: the password file on tmpfs, never the password.
  assert {
    condition     = strcontains(module.postgres_vm[0].compose, "POSTGRES_PASSWORD_FILE: \"/run/secrets/shs/db_password\"") && !can(regex("POSTGRES_PASSWORD\\s*:", module.postgres_vm[0].compose))
    error_message = "PostgreSQL takes its password from the file the per-boot script writes, not from the spec"
  }

  assert {
    condition     = strcontains(module.postgres_vm[0].user_data, "/var/lib/cloud/scripts/per-boot/10-shs-db-password")
    error_message = "the database VM installs the per-boot script that reads the password from Lockbox"
  }

  # No SSH login user unless a key is given.
  assert {
    condition     = !strcontains(module.app.user_data, "ssh_authorized_keys") && !strcontains(module.proxy.user_data, "ssh_authorized_keys")
    error_message = "no login user without ssh_public_key"
  }
}

run "outputs" {
  command = plan

  assert {
    condition     = toset(keys(output.instance_group_ids)) == toset(["app", "db", "proxy"])
    error_message = "the deploy waits for the app, database and proxy groups"
  }

  assert {
    condition     = startswith(output.url, "http://")
    error_message = "url is the balancer's plain HTTP address"
  }

  assert {
    condition     = output.grafana_url == "" && output.grafana_admin_secret_id == "" && keys(yamldecode(module.postgres_vm[0].compose).services) == ["postgres"]
    error_message = "no Grafana, and no exporter beside PostgreSQL, without the monitoring node"
  }
}
