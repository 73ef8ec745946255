"""The plain script `barter-python flatten BOOK.csv` is measured against: csv + Decimal + json,
no validation beyond what a quick script does. Usage: python plain_flatten.py BOOK.csv OUT.jsonl"""

import csv
import json
import secrets
import sys
from decimal import Decimal

with open(sys.argv[1], newline="") as book, open(sys.argv[2], "w") as out:
    for row in csv.DictReader(book):
        if not row["side"] or Decimal(row["quantity"]) == 0 or not row["price"]:
            continue
        side = "Sell" if row["side"] == "Buy" else "Buy"
        key = {"exchange": row["exchange"], "instrument": row["instrument"].lower(),
               "strategy": "flatten", "cid": secrets.token_urlsafe(17)}  # fmt: skip
        state = {"side": side, "price": str(Decimal(row["price"])), "quantity": row["quantity"],
                 "kind": "Market", "time_in_force": "ImmediateOrCancel"}  # fmt: skip
        out.write(json.dumps({"key": key, "state": state}, separators=(",", ":")) + "\n")
