from toolkit.services.accounts import AccountService
from toolkit.services.audit import AuditService
from toolkit.services.transactions import TransactionService

__all__ = ["AccountService", "AuditService", "TransactionService"]
