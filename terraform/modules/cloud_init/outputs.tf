output "user_data" {
  description = "The #cloud-config document for the user-data metadata key."
  value       = "#cloud-config\n${yamlencode(local.config)}"
}
