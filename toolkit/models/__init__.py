"""SQLAlchemy models. `Account`, `Transaction` and `AuditEntry` are the names notebook conditions use."""

from toolkit.models.account import AccountModel
from toolkit.models.api_key import ApiKeyModel
from toolkit.models.audit import AuditEntryModel
from toolkit.models.base import Base
from toolkit.models.enums import AccountStatus, KeyScope, Plan, TransactionKind
from toolkit.models.rollup import TransactionSlotDeltaModel, TransactionSlotModel
from toolkit.models.transaction import TransactionModel

Account = AccountModel
Transaction = TransactionModel
AuditEntry = AuditEntryModel

__all__ = [
    "Account",
    "AccountModel",
    "AccountStatus",
    "ApiKeyModel",
    "AuditEntry",
    "AuditEntryModel",
    "Base",
    "KeyScope",
    "Plan",
    "Transaction",
    "TransactionKind",
    "TransactionModel",
    "TransactionSlotDeltaModel",
    "TransactionSlotModel",
]
