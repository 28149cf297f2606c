from toolkit.services.accounts import AccountService
from toolkit.services.api_keys import ApiKeyService
from toolkit.services.audit import AuditService
from toolkit.services.metrics import MetricsService
from toolkit.services.sample_data import SampleDataService
from toolkit.services.transactions import TransactionService

__all__ = [
    "AccountService",
    "ApiKeyService",
    "AuditService",
    "MetricsService",
    "SampleDataService",
    "TransactionService",
]
