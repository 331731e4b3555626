"""What other apps may want to hear from topics without topics importing them: the search
index re-reads a story's topics when they change."""

import django.dispatch

# Sent inside the changing transaction with `story_ids`: these stories' topics (or a topic's
# name) changed.
stories_retopiced = django.dispatch.Signal()
