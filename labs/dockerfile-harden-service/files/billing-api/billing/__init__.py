"""Acme billing API: invoices and payment webhooks."""
