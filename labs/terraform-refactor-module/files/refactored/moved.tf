# Where the resources of the copy-pasted config went (keep: CI applies this to prod).

moved {
  from = terraform_data.web
  to   = module.service["web"].terraform_data.deployment
}

moved {
  from = terraform_data.web_dns
  to   = module.service["web"].terraform_data.dns[0]
}

moved {
  from = terraform_data.api
  to   = module.service["api"].terraform_data.deployment
}

moved {
  from = terraform_data.api_dns
  to   = module.service["api"].terraform_data.dns[0]
}

moved {
  from = terraform_data.worker
  to   = module.service["worker"].terraform_data.deployment
}
