from toolkit.mixins.crud import CRUDMixin
from toolkit.mixins.queries import AccountQueries, AuditQueries, TransactionQueries

__all__ = ["AccountQueries", "AuditQueries", "CRUDMixin", "TransactionQueries"]
