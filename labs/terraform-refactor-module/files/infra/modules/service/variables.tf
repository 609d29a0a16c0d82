variable "name" {
  description = "Service name: also the first label of its DNS name."
  type        = string
}

variable "image" {
  description = "Container image, with its tag."
  type        = string
}

variable "replicas" {
  type = string
}
