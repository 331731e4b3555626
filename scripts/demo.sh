#!/bin/sh
# The demo: migrate, load the sample content, then run the worker in the background and the web
# server in the foreground; Ctrl-C stops both. Links that leave the site (emails, feeds, the API)
# use SITE_URL, which follows HOST and PORT unless it is set.
set -eu
SITE_URL=${SITE_URL:-http://$HOST:$PORT}
DEBUG=${DEBUG:-true}  # a demo: debug pages and the public demo key (every page says so)
export SITE_URL DEBUG
"$BIN/python" manage.py migrate --no-input
"$BIN/python" manage.py load_sample_content
# The worker runs queued tasks and ticks the schedules (sweeper, digests, feeds, scheduled stories).
"$BIN/python" manage.py worker &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
cat <<MSG

  tidings is running at $SITE_URL/

  Demo logins (password after the slash):
    alice / alice-reads-the-news     a reader
    bob   / bob-edits-the-news       an editor: the newsroom is at $SITE_URL/admin/
    charlie / charlie-looks-around   an outsider

  Add a feed to poll: newsroom → Ingest → Sources (or manage.py poll_sources --add URL).
  Press Ctrl-C to stop the server and the worker.

MSG
"$BIN/python" manage.py runserver "$HOST:$PORT"
