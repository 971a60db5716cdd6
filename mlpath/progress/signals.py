"""What other apps may listen to, so that they can depend on progress and never the reverse."""

from django.dispatch import Signal

# Sent with `user=` whenever what a learner's path shows could have moved: a status change,
# a reset, new path settings. It is sent inside the transaction that made the change, after
# the write, so a listener's own write commits together with it (or after it, never before).
learner_changed = Signal()

# Sent by the path page with `user=`, `index=`, `learner_plan=` and `today=`. A receiver
# returns a list of panels, each a dict with a "template" to include and what it shows:
# how other apps (study groups) put something on the path without progress knowing them.
path_panels = Signal()

# Sent by the learner's calendar feed with `user=`, `index=`, `today=` and `request=`. A
# receiver returns a list of `feed.FeedEvent`s to add to the feed.
feed_events = Signal()
