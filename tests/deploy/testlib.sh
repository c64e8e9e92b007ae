# Sourced by the shell tests beside it: a temp dir $tmp removed at exit, fail() to count
# a failure and go on, and finish() to end with the verdict.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# finish MESSAGE: exits 1 if anything failed, else prints MESSAGE.
finish() {
  if ((failures)); then
    echo "$failures failure(s)"
    exit 1
  fi
  echo "$1"
}
