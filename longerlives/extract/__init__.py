"""Reading and validating the register extract (contract register-extract-v1)."""

from longerlives.extract.read import RawTable, read_extract
from longerlives.extract.schemas import SCHEMAS, Column, TableSchema
from longerlives.extract.validate import Extract, validate_extract

__all__ = ["SCHEMAS", "Column", "Extract", "RawTable", "TableSchema", "read_extract", "validate_extract"]
