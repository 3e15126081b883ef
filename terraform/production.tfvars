# production: what differs from the defaults in variables.tf. The workflows pass this file
# (var-files: production.tfvars) along with image, proxy_image and environment; a change here is reviewed and
# deployed like code.

zones         = ["ru-central1-a"]
app_size      = 2
proxy_size    = 2
database      = "vm"
dataset_scale = 1

database_vm = {
  disk_size = 20
  disk_type = "network-ssd"
}

# Optional, off until you set them:
# domain         = "shs.example.com"   # DNS zone, A record and a Let's Encrypt certificate
# monitoring     = true                # Prometheus and Grafana from ../monitoring/ ...
# admin_cidrs    = ["203.0.113.7/32"]  # ... reachable from here
# alertmanager_targets = ["10.128.1.100:9093"]  # where Prometheus sends its alerts
# ssh_public_key = "ssh-ed25519 AAAA... you@laptop"
# ssh_cidrs      = ["203.0.113.7/32"]
# http3          = true                # and udp_listener = true once support enabled UDP listeners
# coi_image_id   = "fd8..."            # pin the Container Optimized Image
