output "service_urls" {
  description = "Public URL of each public service, by name."
  value       = { for name, svc in module.service : name => svc.url if svc.url != null }
}
