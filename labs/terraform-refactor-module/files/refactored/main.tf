# The shop's services on the prod cluster: one instance of modules/service per service.

resource "terraform_data" "cluster" {
  input = {
    name   = "shop-${var.environment}"
    region = "eu-west-1"
  }
}

module "service" {
  source   = "./modules/service"
  for_each = var.services

  name     = each.key
  cluster  = terraform_data.cluster.output.name
  image    = each.value.image
  replicas = each.value.replicas
  port     = each.value.port
  public   = each.value.public
  domain   = var.domain
}
