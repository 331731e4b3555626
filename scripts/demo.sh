#!/bin/sh
# Runs the task worker in the background and the web server in the foreground; Ctrl-C stops both.
set -eu
"$BIN/python" manage.py db_worker &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
cat <<MSG

  tidings is running at http://$HOST:$PORT/

  Demo logins (password after the slash):
    alice / alice-reads-the-news     a reader
    bob   / bob-edits-the-news       an editor: the newsroom is at http://$HOST:$PORT/admin/
    charlie / charlie-looks-around   an outsider

  Press Ctrl-C to stop the server and the task worker.

MSG
"$BIN/python" manage.py runserver "$HOST:$PORT"
