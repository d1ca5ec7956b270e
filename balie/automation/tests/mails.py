"""E-mails as a customer's mail program would send them."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def customer_mail(
    *,
    sender: str = "carla.jansen@example.nl",
    subject: str = "Vraag over mijn voorschot",
    body: str = "Mijn voorschot is te hoog.",
    in_reply_to: str = "",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Carla Jansen <{sender}>"
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.nl")
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        msg["References"] = f"<{in_reply_to}>"
    msg.set_content(body)
    return bytes(msg)
