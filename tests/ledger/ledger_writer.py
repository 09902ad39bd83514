"""A ledger writer run as a subprocess by the crash and concurrency tests.

Usage: python ledger_writer.py DB_URL KEY_DIR BATCH BATCHES TAG. Before each append prints
{"begin": batch number}; after it returns (the batch is durable) prints
{"start": first index, "ids": [event ids]}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from ledger_helpers import make_event

from veil.ledger import Ledger


def main() -> None:
    url, keys, batch, batches, tag = sys.argv[1:6]
    with Ledger.open(url, Path(keys), create=False) as led:
        who = led.pseudonym(tag)
        for b in range(int(batches)):
            events = [
                make_event(b * 1000 + i, subject=who, system=f"writer-{tag}")
                for i in range(int(batch))
            ]
            print(json.dumps({"begin": b}), flush=True)
            start = led.append_many(events)[0]
            print(json.dumps({"start": start, "ids": [e.id for e in events]}), flush=True)


if __name__ == "__main__":
    main()
