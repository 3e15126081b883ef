# The contract with the deploy action and the workflows: image and environment (set by them), and
# <environment>.tfvars (everything else that differs per environment).

variable "image" {
  type        = string
  description = "The SHS image by digest, cr.yandex/<registry-id>/shs@sha256:... (set by the deploy action)."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be referenced by digest, registry/repository@sha256:<64 hex digits> (a tag can point at different images on different nodes)."
  }
}

variable "proxy_image" {
  type        = string
  description = "The proxy image (built from proxy/) by digest, cr.yandex/<registry-id>/shs-proxy@sha256:..."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$", var.proxy_image))
    error_message = "proxy_image must be referenced by digest, registry/repository@sha256:<64 hex digits>."
  }
}

variable "environment" {
  type        = string
  description = "The environment's name (production), set by the workflows; part of every resource's name."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.environment))
    error_message = "environment must be 2-21 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "name_prefix" {
  type        = string
  description = "First part of every resource's name: <name_prefix>-<environment>-..."
  default     = "shs"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.name_prefix))
    error_message = "name_prefix must be 1-10 lowercase letters and digits, starting with a letter."
  }
}

variable "zones" {
  type        = list(string)
  description = "Availability zones, one subnet each. The first holds the database (and its disk), the balancer's address and the monitoring node; the app nodes and proxies are spread over all of them."
  default     = ["ru-central1-a"]

  validation {
    condition     = length(var.zones) >= 1 && length(distinct(var.zones)) == length(var.zones) && alltrue([for z in var.zones : can(regex("^ru-central1-[a-z]$", z))])
    error_message = "zones must list distinct Yandex Cloud zones such as ru-central1-a, at least one."
  }
}

variable "network_cidr" {
  type        = string
  description = "The address range the subnets are cut from (a /24 per zone)."
  default     = "10.128.0.0/16"

  validation {
    condition     = can(cidrsubnet(var.network_cidr, 24 - tonumber(split("/", var.network_cidr)[1]), 0)) && tonumber(split("/", var.network_cidr)[1]) <= 20
    error_message = "network_cidr must be a private IPv4 range of /20 or larger, such as 10.128.0.0/16."
  }
}

variable "app_size" {
  type        = number
  description = "SHS nodes. Two by default: either can fail (or restart in a rollout) without users noticing."
  default     = 2

  validation {
    condition     = var.app_size >= 1 && var.app_size <= 40 && floor(var.app_size) == var.app_size
    error_message = "app_size must be a whole number from 1 to 40."
  }
}

variable "app_resources" {
  type = object({
    cores         = optional(number, 2)
    memory        = optional(number, 2)
    core_fraction = optional(number, 100)
  })
  description = "vCPUs, memory (GB) and guaranteed vCPU share (percent) of every SHS node."
  default     = {}
}

variable "proxy_size" {
  type        = number
  description = "Proxies behind the load balancer. Two by default: one proxy was the original deployments' single point of failure."
  default     = 2

  validation {
    condition     = var.proxy_size >= 1 && var.proxy_size <= 40 && floor(var.proxy_size) == var.proxy_size
    error_message = "proxy_size must be a whole number from 1 to 40."
  }
}

variable "proxy_resources" {
  type = object({
    cores         = optional(number, 2)
    memory        = optional(number, 1)
    core_fraction = optional(number, 50)
  })
  description = "vCPUs, memory (GB) and guaranteed vCPU share (percent) of every proxy."
  default     = {}
}

variable "database" {
  type        = string
  description = "Where PostgreSQL runs: \"vm\" (an instance group of one on COI, data on a protected disk) or \"managed\" (Managed Service for PostgreSQL)."
  default     = "vm"

  validation {
    condition     = contains(["vm", "managed"], var.database)
    error_message = "database must be \"vm\" or \"managed\"."
  }
}

variable "database_vm" {
  type = object({
    image             = optional(string, "docker.io/library/postgres:16-alpine@sha256:57c72fd2a128e416c7fcc499958864df5301e940bca0a56f58fddf30ffc07777")
    image_uid         = optional(number, 70)
    disk_size         = optional(number, 20)
    disk_type         = optional(string, "network-ssd")
    snapshot_schedule = optional(string, "0 3 * * *")
    snapshot_count    = optional(number, 7)
    cores             = optional(number, 2)
    memory            = optional(number, 4)
    core_fraction     = optional(number, 100)
  })
  description = "The database VM (database = \"vm\"): PostgreSQL image by digest and the uid it runs as, data disk (GB, type; it can only grow), snapshot schedule (cron, UTC) and how many to keep, VM size."
  default     = {}
}

variable "database_managed" {
  type = object({
    version            = optional(string, "16")
    resource_preset_id = optional(string, "s3-c2-m8")
    disk_type          = optional(string, "network-ssd")
    disk_size          = optional(number, 20)
  })
  description = "Managed PostgreSQL (database = \"managed\"): major version, host class, storage. One host per zone."
  default     = {}
}

variable "managed_database_ca_url" {
  type        = string
  description = "Where the SHS VMs fetch the CA of Managed PostgreSQL's certificates (database = \"managed\")."
  default     = "https://storage.yandexcloud.net/cloud-certs/CA.pem"
}

variable "dataset_scale" {
  type        = number
  description = "Size of the dataset the first deploy loads, as a fraction of the contract's (1: 500,000 customers, 29,019 movies, 5,000,000 sessions)."
  default     = 1

  validation {
    condition     = var.dataset_scale > 0 && var.dataset_scale <= 10
    error_message = "dataset_scale must be in (0, 10]."
  }
}

variable "preemptible" {
  type        = bool
  description = "Run the app nodes and proxies on preemptible VMs (cheaper; stopped by the cloud at least every 24 h). Never the database."
  default     = false
}

variable "public_ips" {
  type        = bool
  description = "Give the app, proxy and database VMs public addresses. They need none: the NAT gateway carries their outbound traffic and the load balancer their inbound."
  default     = false
}

variable "ssh_public_key" {
  type        = string
  description = "OpenSSH public key of a login user (shs) on every VM; empty: no login user."
  default     = ""
}

variable "ssh_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs that may reach port 22 of every VM. Empty (the default): SSH is closed."
  default     = []
}

variable "http3" {
  type        = bool
  description = "Serve HTTP/3: the proxies listen on UDP 443 and their security group admits it. Users reach it only through a UDP listener (udp_listener) or the proxies' own public addresses (public_ips)."
  default     = false
}

variable "udp_listener" {
  type        = bool
  description = "Add a UDP 443 listener to the load balancer for HTTP/3. The cloud refuses UDP listeners until support enables them for the cloud: ask first."
  default     = false

  validation {
    condition     = !var.udp_listener || var.http3
    error_message = "udp_listener needs http3 = true (nothing would answer UDP)."
  }
}

variable "domain" {
  type        = string
  description = "The service's domain (shs.example.com). Set: a public DNS zone and A record, and a Let's Encrypt certificate from Certificate Manager the proxies serve on HTTPS. Empty: the balancer's address, HTTPS with a self-signed certificate."
  default     = ""
}

variable "dns_zone_id" {
  type        = string
  description = "An existing public Cloud DNS zone that holds domain; empty: a zone for the domain is created (delegate it to ns1.yandexcloud.net and ns2.yandexcloud.net)."
  default     = ""
}

variable "monitoring" {
  type        = bool
  description = "Add the monitoring node: Prometheus and Grafana provisioned from the repository's monitoring/ directory, reachable from admin_cidrs; with the database VM, node-exporter and postgres_exporter beside PostgreSQL."
  default     = false
}

variable "admin_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs that may reach Prometheus (9090) and Grafana (3000) on the monitoring node."
  default     = []
}

variable "monitoring_images" {
  type = object({
    prometheus        = optional(string, "docker.io/prom/prometheus:v3.5.0@sha256:63805ebb8d2b3920190daf1cb14a60871b16fd38bed42b857a3182bc621f4996")
    grafana           = optional(string, "docker.io/grafana/grafana:12.1.1@sha256:a1701c2180249361737a99a01bc770db39381640e4d631825d38ff4535efa47d")
    node_exporter     = optional(string, "docker.io/prom/node-exporter:v1.9.1@sha256:d00a542e409ee618a4edc67da14dd48c5da66726bbd5537ab2af9c1dfc442c8a")
    postgres_exporter = optional(string, "quay.io/prometheuscommunity/postgres-exporter:v0.17.1@sha256:38606faa38c54787525fb0ff2fd6b41b4cfb75d455c1df294927c5f611699b17")
  })
  description = "By digest, for monitoring = true: Prometheus and Grafana (the monitoring node), node-exporter (the monitoring and database VMs), postgres_exporter (the database VM)."
  default     = {}

  validation {
    condition     = alltrue([for name, image in var.monitoring_images : can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$", image))])
    error_message = "monitoring_images: every image (prometheus, grafana, node_exporter, postgres_exporter) must be referenced by digest, registry/repository@sha256:<64 hex digits>."
  }
}

variable "alertmanager_targets" {
  type        = list(string)
  description = "Alertmanagers (host:port) the monitoring node's Prometheus sends its alerts to (prometheus.yml's alerting section); empty: none, the alerts show in Prometheus and Grafana only."
  default     = []
}

variable "service_accounts" {
  type = object({
    groups     = optional(string, "shs-ig")
    app        = optional(string, "shs-app")
    proxy      = optional(string, "shs-proxy")
    db         = optional(string, "shs-db")
    monitoring = optional(string, "shs-monitoring")
  })
  description = "Names of the service accounts made by hand (docs/yandex-cloud-setup.md): the instance groups' own, and one per VM tier."
  default     = {}
}

variable "manage_access_bindings" {
  type        = bool
  description = "Grant the VM accounts their roles on the one password secret (lockbox.payloadViewer) and the one certificate (certificate-manager.certificates.downloader) here; the deployer then needs lockbox.admin (and certificate-manager.admin with a domain). false: grant them by hand (docs/yandex-cloud-setup.md)."
  default     = true
}

variable "coi_image_id" {
  type        = string
  description = "Pin the Container Optimized Image (an image id); empty: the newest of the container-optimized-image family at plan time. A new boot image re-creates the VMs, so pin it in production to choose when that happens."
  default     = ""
}

variable "deletion_protection" {
  type        = bool
  description = "Protect what holds data or is hard to replace (the database group, the password secret, the balancer and its address, a managed cluster) from deletion. Set false, apply, then destroy, to tear an environment down."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Extra labels on every resource (project and environment are always set)."
  default     = {}
}
