"""acme-agent: ships host metrics to Acme's collector."""
