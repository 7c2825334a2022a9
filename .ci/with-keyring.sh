#!/usr/bin/env bash
# Runs a command inside the D-Bus session of dbus-run-session with a fresh, unlocked gnome-keyring, so the keychain
# tests talk to a real Secret Service. The keyring lives in a throwaway XDG_DATA_HOME, never in the user's own.
set -euo pipefail
export XDG_DATA_HOME="$(mktemp -d)"
# gnome-keyring creates and unlocks the "login" collection with the password on stdin; it must not be empty.
printf 'scopes-ci' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$@"
