"""One small repository per model, each built from the scope's session."""

from toolkit.mixins.queries import AccountQueries, ApiKeyQueries, AuditQueries, TransactionQueries


class AccountRepository(AccountQueries):
    pass


class TransactionRepository(TransactionQueries):
    pass


class AuditRepository(AuditQueries):
    pass


class ApiKeyRepository(ApiKeyQueries):
    pass


__all__ = ["AccountRepository", "ApiKeyRepository", "AuditRepository", "TransactionRepository"]
