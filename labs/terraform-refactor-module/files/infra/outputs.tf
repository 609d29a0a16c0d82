output "web_url" {
  value = "https://${terraform_data.web_dns.output.fqdn}"
}

output "api_url" {
  value = "https://${terraform_data.api_dns.output.fqdn}"
}
