"""/v1/transactions and `qa.transactions`: the ledger, append-only; a posting moves its account's balance."""

from toolkit.entities import TransactionCreate
from toolkit.repositories import TransactionRepository
from toolkit.resources import Resource
from toolkit.services.posting_rules import POSTINGS
from toolkit.services.transactions import TransactionService

RESOURCE = Resource(
    "transactions", TransactionRepository, TransactionService, create=TransactionCreate, rules=POSTINGS
)
