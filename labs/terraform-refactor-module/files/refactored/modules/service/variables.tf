variable "name" {
  description = "Service name: also the first label of its DNS name."
  type        = string
}

variable "cluster" {
  description = "Name of the cluster the service runs on."
  type        = string
}

variable "image" {
  description = "Container image, with its tag."
  type        = string
}

variable "replicas" {
  description = "Number of pods."
  type        = number
}

variable "port" {
  description = "Port the service listens on."
  type        = number
}

variable "public" {
  description = "Whether the service gets a DNS record in the public zone."
  type        = bool
  default     = false
}

variable "domain" {
  description = "Public DNS zone."
  type        = string
}
