output "id" {
  description = "ID of the service's deployment."
  value       = terraform_data.deployment.id
}

output "url" {
  description = "Public URL of the service, null when it is internal."
  value       = var.public ? "https://${terraform_data.dns[0].output.fqdn}" : null
}
