"""A local SMTP sink for the benchmarks: accepts everything, counts messages and recipients.

    python benchmarks/smtp_sink.py PORT STATUS_FILE

Every 0.1 s it writes "<messages> <distinct Message-IDs>" to STATUS_FILE (atomically): a difference
between the two is a duplicate (a message sent twice carries the same Message-ID)."""
from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time

from aiosmtpd.controller import Controller


MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Counter:
    def __init__(self):
        self.messages = 0
        self.ids: set[bytes] = set()

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        found = MESSAGE_ID.search(envelope.content)
        self.ids.add(found.group(1) if found else str(self.messages).encode())
        return "250 OK"


def main() -> None:
    port, status = int(sys.argv[1]), sys.argv[2]
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            tmp = status + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{counter.messages} {len(counter.ids)}")
            os.replace(tmp, status)
            time.sleep(0.1)
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    main()
