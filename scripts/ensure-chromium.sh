#!/bin/sh
# Browser tests drive Debian's Chromium; install it when we can, otherwise they skip and say why.
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    if apt-get install -y -qq chromium >/dev/null 2>&1 || \
       { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; then
        exit 0
    fi
    echo "Could not install chromium with apt-get: browser tests will be skipped."
else
    echo "chromium is not on the PATH and we are not root: browser tests will be skipped" \
         "(install it with: sudo apt-get install chromium)."
fi
exit 0
