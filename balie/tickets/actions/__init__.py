"""Every write on tickets and messages done on someone's behalf, one module per topic."""

from .acknowledgements import (  # noqa: F401
    acknowledgement_text,
    send_acknowledgement,
    send_acknowledgements,
)
from .attachments import (  # noqa: F401
    UploadedFile,
    check_attachment,
    check_uploads,
    safe_filename,
    store_attachments,
    store_uploads,
)
from .changes import (  # noqa: F401
    record_customer_merge,
    update_ticket,
)
from .creation import (  # noqa: F401
    add_participants,
    create_ticket,
    is_participant,
    new_ticket_row,
)
from .deliveries import (  # noqa: F401
    delivery_entry,
    mark_deliveries,
    mark_delivery,
    received_entry,
    sent_entry,
)
from .filing import (  # noqa: F401
    Filing,
    add_inbound_message,
    file_messages,
)
from .inbound import (  # noqa: F401
    inbound_message_row,
    system_message_row,
)
from .replies import (  # noqa: F401
    REPLY_SOURCES,
    CannotSend,
    _mail_domain,
    add_note,
    add_reply,
    file_shown_replies,
    new_message_id,
    outbound_message_row,
    outbound_subject,
    reply_channel,
    reply_recipients,
    reply_refusal,
    shown_message,
    store_shown_reply,
    thread_headers,
)
