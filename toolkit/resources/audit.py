"""/v1/audit and `qa.audit`: written by the services only; `qa.sql(write=True)` rows for write keys only."""

from toolkit.repositories import AuditRepository
from toolkit.resources import Resource
from toolkit.services.audit import AuditService

RESOURCE = Resource("audit", AuditRepository, AuditService, read_key_hides={"entity": ("sql", "api_key")})
