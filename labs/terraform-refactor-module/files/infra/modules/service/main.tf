# One service of the shop: its deployment and, for public services, a DNS record.

resource "terraform_data" "deployment" {
  input = {
    name     = var.name
    cluster  = var.cluster
    image    = var.image
    replicas = var.replicas
    port     = var.port
  }
}

# TODO: the DNS record, for public services only.
