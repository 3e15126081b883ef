# A domain: its zone (unless one is given), the A record on the balancer, a managed certificate validated by
# DNS in the same zone, and the proxies' right to download it (and nothing that puts the key in state).
mock_provider "yandex" {
  override_resource {
    target = yandex_cm_certificate.this
    values = {
      id         = "cert-1"
      challenges = [{ dns_name = "_acme-challenge.shs.example.com.", dns_type = "CNAME", dns_value = "cert-1.cm.yandexcloud.net.", created_at = "", domain = "shs.example.com", http_content = "", http_url = "", message = "", type = "DNS", updated_at = "" }]
    }
  }
}

variables {
  domain      = "shs.example.com"
  address     = "203.0.113.10"
  downloaders = { proxy = "sa-proxy" }
}

run "zone_record_certificate" {
  command = plan

  assert {
    condition     = length(yandex_dns_zone.this) == 1 && yandex_dns_zone.this[0].zone == "shs.example.com." && yandex_dns_zone.this[0].public == true
    error_message = "a public zone for the domain"
  }

  assert {
    condition     = yandex_dns_recordset.entry.type == "A" && yandex_dns_recordset.entry.data == toset(["203.0.113.10"]) && yandex_dns_recordset.entry.name == "shs.example.com."
    error_message = "the domain points at the balancer"
  }

  assert {
    condition     = one(yandex_cm_certificate.this.managed).challenge_type == "DNS_CNAME" && yandex_cm_certificate.this.domains == tolist(["shs.example.com"])
    error_message = "a managed (Let's Encrypt) certificate validated by a DNS CNAME"
  }

  assert {
    condition     = yandex_dns_recordset.validation.name == "_acme-challenge.shs.example.com." && yandex_dns_recordset.validation.type == "CNAME" && yandex_dns_recordset.validation.data == toset(["cert-1.cm.yandexcloud.net."])
    error_message = "the validation record is the certificate's DNS_CNAME challenge"
  }

  assert {
    condition     = yandex_cm_certificate_iam_member.downloader["proxy"].role == "certificate-manager.certificates.downloader" && yandex_cm_certificate_iam_member.downloader["proxy"].member == "serviceAccount:sa-proxy"
    error_message = "the proxies may download this certificate"
  }

  assert {
    condition     = output.https_url == "https://shs.example.com"
    error_message = "the HTTPS URL is the domain's"
  }
}

run "an_existing_zone" {
  command = plan

  variables {
    zone_id = "dns-zone-1"
  }

  assert {
    condition     = length(yandex_dns_zone.this) == 0 && yandex_dns_recordset.entry.zone_id == "dns-zone-1"
    error_message = "records go into the given zone; none is created"
  }
}

run "refuses_a_bad_domain" {
  command = plan

  variables {
    domain = "Not A Domain"
  }

  expect_failures = [var.domain]
}
