# The shop's services on the prod cluster. Each service is a deployment; the public ones
# also get a DNS record in the shop's zone.

resource "terraform_data" "cluster" {
  input = {
    name   = "shop-${var.environment}"
    region = "eu-west-1"
  }
}

# --- web -------------------------------------------------------------------------------

resource "terraform_data" "web" {
  input = {
    name     = "web"
    cluster  = terraform_data.cluster.output.name
    image    = "registry.internal/shop/web:1.14.2"
    replicas = 3
    port     = 8080
  }
}

resource "terraform_data" "web_dns" {
  input = {
    fqdn   = "web.${var.domain}"
    target = "web.${terraform_data.cluster.output.name}.svc"
    ttl    = 300
  }
}

# --- api -------------------------------------------------------------------------------

resource "terraform_data" "api" {
  input = {
    name     = "api"
    cluster  = terraform_data.cluster.output.name
    image    = "registry.internal/shop/api:2.3.0"
    replicas = 4
    port     = 9000
  }
}

resource "terraform_data" "api_dns" {
  input = {
    fqdn   = "api.${var.domain}"
    target = "api.${terraform_data.cluster.output.name}.svc"
    ttl    = 300
  }
}

# --- worker (internal: no DNS record) --------------------------------------------------

resource "terraform_data" "worker" {
  input = {
    name     = "worker"
    cluster  = terraform_data.cluster.output.name
    image    = "registry.internal/shop/worker:2.3.0"
    replicas = 2
    port     = 9100
  }
}

# --- WIP (priya): one module instance per service instead of the copies above ----------
# TODO: declare var.services, finish modules/service, then delete the copies above.
#       Careful: CI applies this to prod. Nothing may be destroyed or recreated.

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
