# Contents too large to write out in monitoring.tftest.hcl, whose variables cannot call functions: a rule file
# of some size, and a dashboard that stays over the metadata's limit even compressed.
terraform {
  required_version = ">= 1.6"
  # Declared only so that the test file's mock provider, which every run is given, resolves here too.
  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = "~> 0.219.0"
    }
  }
}

output "big_rules" {
  description = "A rule file of about 5 KB."
  value       = "groups:\n  - name: big\n    rules:\n${join("", [for i in range(100) : "      - record: shs:test_${i}\n        expr: vector(${i})\n"])}"
}

output "huge_dashboard" {
  description = "About 650 KB of hex digits (10,000 SHA-256 sums): over 256 KiB even gzip-compressed."
  value       = jsonencode({ title = "huge", panels = flatten([for i in range(100) : [for j in range(100) : sha256("${i}.${j}")]]) })
}
