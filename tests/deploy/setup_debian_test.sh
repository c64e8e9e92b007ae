#!/usr/bin/env bash
# deploy/setup-debian.sh leaves the machine's own services alone: run with stand-ins for
# dpkg-query, apt-get, systemctl, service, invoke-rc.d and sudo that record every call,
# it must never stop, disable, mask or restart mosquitto or prometheus (a user's broker
# under test may be one of them), and installs only what is missing.
#
#   setup_debian_test.sh REPO
set -euo pipefail
repo=$1
source "$(dirname "$0")/testlib.sh"
shims=$tmp/shims
mkdir "$shims"
calls=$tmp/calls

# One stand-in for every command: records its name and arguments. dpkg-query reports
# the packages named in $MISSING as not installed and every other one as installed;
# systemctl says every service is active.
cat >"$shims/stand-in" <<'EOF'
#!/usr/bin/env bash
name=$(basename "$0")
echo "$name $*" >>"$CALLS"
case $name in
  dpkg-query)
    package=${!#}
    if [[ " $MISSING " == *" $package "* ]]; then
      echo "dpkg-query: no packages found matching $package" >&2
      exit 1
    fi
    printf 'install ok installed'
    ;;
  systemctl)
    [[ ${1:-} == is-active || ${1:-} == is-enabled ]] && echo active
    ;;
  sudo) exec "$@" ;;
esac
exit 0
EOF
chmod +x "$shims/stand-in"
for name in dpkg-query apt-get apt systemctl service invoke-rc.d deb-systemd-invoke sudo; do
  ln -s stand-in "$shims/$name"
done


# run_setup CASE MISSING...: runs the script with those packages missing.
run_setup() {
  local case=$1
  shift
  : >"$calls"
  echo "--- $case"
  if ! CALLS=$calls MISSING="$*" PATH="$shims:/usr/bin:/bin" bash "$repo/deploy/setup-debian.sh" \
    >"$tmp/out" 2>&1; then
    fail "$case: the script failed:"
    cat "$tmp/out"
  fi
  sed 's/^/    /' "$calls" | grep -v '^    dpkg-query' || true
  if grep -E '^(systemctl|service|invoke-rc.d|deb-systemd-invoke) .*(stop|disable|mask|kill|restart|reload)' \
    "$calls" | grep -E 'mosquitto|prometheus'; then
    fail "$case: it stopped or disabled a service that was already there"
  fi
}

run_setup "everything installed, mosquitto and prometheus running"
if grep -q '^apt-get' "$calls"; then fail "nothing was missing, yet apt-get ran"; fi
if grep -qvE '^dpkg-query ' "$calls"; then fail "nothing was missing, yet more than dpkg-query ran"; fi

run_setup "a library missing" libyaml-cpp-dev
grep -q '^apt-get update' "$calls" || fail "apt-get update did not run"
grep -qE '^apt-get install .* libyaml-cpp-dev$' "$calls" || fail "libyaml-cpp-dev was not installed"
if grep -E '^apt-get install' "$calls" | grep -qE ' (mosquitto|prometheus)( |$)'; then
  fail "installed packages that were already there"
fi

run_setup "mosquitto missing, prometheus running" mosquitto
grep -qE '^apt-get install .* mosquitto$' "$calls" || fail "mosquitto was not installed"

finish "setup-debian.sh touched no service that was already there"
