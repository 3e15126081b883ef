variable "domain" {
  type        = string
  description = "The service's domain, e.g. shs.example.com."

  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}\\.?$", var.domain))
    error_message = "domain must be a lowercase DNS name such as shs.example.com."
  }
}

variable "zone_id" {
  type        = string
  description = "An existing public Cloud DNS zone that holds the domain; empty: a zone for the domain itself is created (delegate it at your registrar)."
  default     = ""
}

variable "address" {
  type        = string
  description = "The balancer's public IPv4 address."
}

variable "downloaders" {
  type        = map(string)
  description = "Who may download the certificate: a static name => service account id (the proxies' VM account)."
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource."
  default     = {}
}
