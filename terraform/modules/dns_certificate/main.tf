# Optional (a domain is given): the public DNS zone, the domain's A record on the balancer's address, and a
# Let's Encrypt certificate from Certificate Manager, validated through a DNS CNAME in the same zone. The
# proxies download the certificate at run time with their VM account (certificates.downloader on this one
# certificate), and again when it renews. Never through data.yandex_cm_certificate_content: that data source
# writes the private key into the state.
locals {
  fqdn    = "${trimsuffix(var.domain, ".")}."
  zone_id = var.zone_id != "" ? var.zone_id : yandex_dns_zone.this[0].id
}

resource "yandex_dns_zone" "this" {
  count = var.zone_id == "" ? 1 : 0

  name        = replace(trimsuffix(var.domain, "."), ".", "-")
  description = "SHS public zone"
  zone        = local.fqdn
  public      = true
  labels      = var.labels
}

resource "yandex_dns_recordset" "entry" {
  zone_id = local.zone_id
  name    = local.fqdn
  type    = "A"
  ttl     = 300
  data    = [var.address]
}

resource "yandex_cm_certificate" "this" {
  name    = replace(trimsuffix(var.domain, "."), ".", "-")
  domains = [trimsuffix(var.domain, ".")]
  labels  = var.labels

  managed {
    challenge_type  = "DNS_CNAME"
    challenge_count = 1
  }
}

# The provider's documented pattern: the certificate waits for its challenge, whose record is made here. Kept
# after issuance: Certificate Manager renews through it.
resource "yandex_dns_recordset" "validation" {
  zone_id = local.zone_id
  name    = yandex_cm_certificate.this.challenges[0].dns_name
  type    = yandex_cm_certificate.this.challenges[0].dns_type
  ttl     = 60
  data    = [yandex_cm_certificate.this.challenges[0].dns_value]
}

resource "yandex_cm_certificate_iam_member" "downloader" {
  for_each = var.downloaders

  certificate_id = yandex_cm_certificate.this.id
  role           = "certificate-manager.certificates.downloader"
  member         = "serviceAccount:${each.value}"
}
