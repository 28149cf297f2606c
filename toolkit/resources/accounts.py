"""/v1/accounts and `qa.accounts`: changed with a version check, closed instead of deleted."""

from toolkit.entities import AccountCreate, AccountUpdate
from toolkit.repositories import AccountRepository
from toolkit.resources import Resource
from toolkit.services.account_rules import ACCOUNTS
from toolkit.services.accounts import AccountService

RESOURCE = Resource(
    "accounts",
    AccountRepository,
    AccountService,
    create=AccountCreate,
    update=AccountUpdate,
    version="version",
    removal="close",
    natural_keys=(("email",),),
    rules=ACCOUNTS,
)
