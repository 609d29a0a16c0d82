variable "environment" {
  description = "Environment this configuration manages."
  type        = string
  default     = "prod"
}

variable "domain" {
  description = "Public DNS zone of the shop."
  type        = string
  default     = "shop.example.com"
}

variable "services" {
  description = "The shop's services, by name."
  type = map(object({
    image    = string
    replicas = number
    port     = number
    public   = bool
  }))
  default = {
    web    = { image = "registry.internal/shop/web:1.14.2", replicas = 3, port = 8080, public = true }
    api    = { image = "registry.internal/shop/api:2.3.0", replicas = 4, port = 9000, public = true }
    worker = { image = "registry.internal/shop/worker:2.3.0", replicas = 2, port = 9100, public = false }
  }
}
