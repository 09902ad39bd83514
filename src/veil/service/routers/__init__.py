"""The service's API routers, one module per audience (auth here; public, person, operator and
auditor routers join them). Every route must be listed in tests/service/access.py."""
