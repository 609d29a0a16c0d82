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

resource "terraform_data" "dns" {
  count = var.public ? 1 : 0

  input = {
    fqdn   = "${var.name}.${var.domain}"
    target = "${var.name}.${var.cluster}.svc"
    ttl    = 300
  }
}
