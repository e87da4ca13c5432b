"""T+2 settlement outside the domain: the business-day calendar and the settle run."""
