"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1:PORT that writes each message
it receives, parsed, as one JSON file in DIR (written whole, then renamed).

    python sink.py PORT DIR
"""
import json
import os
import signal
import sys
import uuid
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        text = html = None
        for part in msg.walk():
            ct = part.get_content_type()
            if ct == "text/plain" and text is None:
                text = part.get_content()
            elif ct == "text/html" and html is None:
                html = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "parts": [p.get_content_type() for p in msg.walk()],
            "text": text,
            "html": html,
        }
        name = uuid.uuid4().hex
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.folder, name + ".json"))
        return "250 Message accepted for delivery"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    main()
