from django.dispatch import Signal

# Sent after the transaction that changed a jurisdiction's territory commits; kwargs: jurisdiction_id.
territory_changed = Signal()
