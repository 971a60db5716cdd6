"""What other apps may listen to, so that they can depend on accounts and never the reverse."""

from django.dispatch import Signal

# Sent with `user=` before an account is deleted. Each receiver returns a list of reasons
# (plain sentences) why it must not be deleted yet; an empty list means no objection.
# The groups app uses it so that deleting an account cannot leave a group with members
# and nobody to run it.
account_deletion_blockers = Signal()
