variable "name" {
  type        = string
  description = "Name of the balancer and its address."
}

variable "zone" {
  type        = string
  description = "The zone the reserved address belongs to."
}

variable "target_group_id" {
  type        = string
  description = "The proxies' target group (made by their instance group)."
}

variable "http_port" {
  type        = number
  description = "Plain HTTP port, on the balancer and the proxies."
  default     = 80
}

variable "https_port" {
  type        = number
  description = "HTTPS port (TCP; UDP too when udp_listener)."
  default     = 443
}

variable "health_port" {
  type        = number
  description = "The proxies' /healthz port."
  default     = 9145
}

variable "udp_listener" {
  type        = bool
  description = "Add a UDP listener on the HTTPS port for HTTP/3. The cloud refuses it unless support has enabled UDP for the cloud."
  default     = false
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the balancer and its address (the address is what DNS points at)."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource."
  default     = {}
}
