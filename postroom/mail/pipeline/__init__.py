"""The intake pipeline: small steps that decide, then one commit that writes.

A new intake behaviour is a new module in `steps/` plus one line in `STEPS`.
"""

from postroom.mail.pipeline.steps import (
    bounce,
    classify,
    dedupe,
    facts,
    language,
    loop_guard,
    priority,
    redact,
    route,
    rules,
    spam,
    thread,
    tone,
)

STEPS = [
    dedupe,  # same message twice → duplicate
    bounce,  # delivery status notifications → bounce record on the ticket
    spam,  # upstream spam verdicts → Spam view
    loop_guard,  # auto-submitted / bulk / robots / ourselves → no acknowledgement
    thread,  # subject reference, In-Reply-To/References, reply token → follow-up
    redact,  # card numbers, IBANs, national IDs, passwords masked before anything is stored
    route,  # mailbox address → queue
    language,  # language of the visible text
    facts,  # product, firmware/app/OS versions, error codes, order/serial numbers, purchase date
    classify,  # the desk's learned models: category, queue, priority — or Needs triage
    priority,  # headers, urgency cues, customer tier, learned priority → the highest
    tone,  # frustration / negative tone, and a request for a manager
    rules,  # admins' rules: conditions → queue, category, priority, tags, templates, spam, triage
]
