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
