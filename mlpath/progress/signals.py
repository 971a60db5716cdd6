"""What other apps may listen to, so that they can depend on progress and never the reverse."""

from django.dispatch import Signal

# Sent with `user=` whenever what a learner's path shows could have moved: a status change,
# a reset, new path settings. It is sent inside the transaction that made the change, after
# the write, so a listener's own write commits together with it (or after it, never before).
learner_changed = Signal()
