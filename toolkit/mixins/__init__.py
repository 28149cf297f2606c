from toolkit.mixins.crud import CRUDMixin
from toolkit.mixins.queries import AccountQueries, ApiKeyQueries, AuditQueries, TransactionQueries

__all__ = ["AccountQueries", "ApiKeyQueries", "AuditQueries", "CRUDMixin", "TransactionQueries"]
