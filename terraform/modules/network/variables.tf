variable "name" {
  type        = string
  description = "Prefix of every resource's name, e.g. shs-production."

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{1,40}[a-z0-9]$", var.name))
    error_message = "name must be 3-42 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "subnets" {
  type        = map(string)
  description = "One subnet per availability zone: zone => IPv4 CIDR, e.g. { \"ru-central1-a\" = \"10.10.1.0/24\" }."

  validation {
    condition     = length(var.subnets) > 0
    error_message = "subnets needs at least one zone."
  }

  validation {
    condition     = alltrue([for z in keys(var.subnets) : can(regex("^ru-central1-[a-z]$", z))])
    error_message = "subnets: every key must be a Yandex Cloud zone such as ru-central1-a."
  }

  validation {
    condition     = alltrue([for c in values(var.subnets) : can(cidrhost(c, 0)) && tonumber(split("/", c)[1]) <= 28])
    error_message = "subnets: every value must be an IPv4 CIDR of /28 or larger, e.g. 10.10.1.0/24."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource."
  default     = {}
}
