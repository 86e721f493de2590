"""The intake pipeline: small steps that decide, then one commit that writes.

A new intake behaviour is a new module in `steps/` plus one line in `STEPS`.
"""

from postroom.mail.pipeline.steps import bounce, dedupe, language, loop_guard, route, spam, thread

STEPS = [
    dedupe,  # same message twice → duplicate
    bounce,  # delivery status notifications → bounce record on the ticket
    spam,  # upstream spam verdicts → Spam view
    loop_guard,  # auto-submitted / bulk / robots / ourselves → no acknowledgement
    thread,  # subject reference, In-Reply-To/References, reply token → follow-up
    route,  # mailbox address → queue
    language,  # language of the visible text
]
