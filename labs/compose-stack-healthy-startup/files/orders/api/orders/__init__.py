"""Orders API and its background worker."""
