#!/bin/sh
# Runs the task worker in the background and the web server in the foreground; Ctrl-C stops both.
set -eu
"$BIN/python" manage.py db_worker &
WORKER=$!
# The scheduler enqueues periodic work (feed polling, scheduled stories) for the worker to run.
"$BIN/python" manage.py run_scheduler >/dev/null &
SCHEDULER=$!
trap 'kill $WORKER $SCHEDULER 2>/dev/null || true' EXIT INT TERM
cat <<MSG

  tidings is running at http://$HOST:$PORT/

  Demo logins (password after the slash):
    alice / alice-reads-the-news     a reader
    bob   / bob-edits-the-news       an editor: the newsroom is at http://$HOST:$PORT/admin/
    charlie / charlie-looks-around   an outsider

  Add a feed to poll: newsroom → Ingest → Sources (or manage.py poll_sources --add URL).
  Press Ctrl-C to stop the server, the task worker and the scheduler.

MSG
"$BIN/python" manage.py runserver "$HOST:$PORT"
