#!/bin/sh
# The test's web browser, registered as the http(s) handler in the test's own XDG
# config. Given the sandbox's authorization URL it does what a person does: loads the
# consent page, presses Approve, and follows the redirect — which, for the desktop
# app, is a carbonsync:// deep link handed to the desktop with xdg-open, as Firefox and
# Chromium do with a scheme they do not handle themselves.
set -eu
url="$1"
page=$(curl -fsS "$url")
rid=$(printf '%s\n' "$page" | sed -n 's/.*name="request_id" value="\([^"]*\)".*/\1/p' | head -n 1)
origin=$(printf '%s' "$url" | sed 's#^\(https*://[^/]*\).*#\1#')
# Each platform's consent page posts to its own authorization server.
action=$(printf '%s\n' "$page" | sed -n 's/.*<form[^>]*action="\([^"]*\)".*/\1/p' | head -n 1)
action="${action:-/xero/identity/connect/authorize/decision}"
location=$(curl -sS -o /dev/null -w '%{redirect_url}' \
  --data-urlencode "request_id=$rid" --data-urlencode "decision=approve" \
  "$origin$action")
case "$location" in
  carbonsync:*) exec xdg-open "$location" ;;
  *) exec curl -sS -o /dev/null "$location" ;;
esac
