#!/usr/bin/env bash
# deploy/run.sh as a newcomer meets it: the tool runs in the caller's directory (relative
# paths given to it land there, not in the repository), the build is quiet unless it
# fails (then its log is shown and named), and a first build says it is building.
#
#   run_sh_test.sh REPO BUILD_DIR
#
# BUILD_DIR is the suite's own, already built: run.sh (LAMPI_BUILD_DIR) only rebuilds the
# lampi-fleet target there, a no-op. A cmake stand-in first on PATH passes that through
# with compiler-like noise added, refuses every other build dir, and can fail or fake a
# first build, so nothing here compiles anything.
set -euo pipefail
repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
source "$(dirname "$0")/testlib.sh"
shims=$tmp/shims
mkdir "$shims"
real_cmake=$(command -v cmake)

# Every package is installed, so setup-debian.sh installs nothing.
cat >"$shims/dpkg-query" <<'EOF'
#!/usr/bin/env bash
printf 'install ok installed'
EOF

# FAKE_CMAKE: pass (noise, then the real cmake), fail (noise, then exit 1), or fake (a
# first configure and build that write a stand-in lampi-fleet printing its arguments and
# working directory).
cat >"$shims/cmake" <<EOF
#!/usr/bin/env bash
dir= prev=
for a in "\$@"; do
  case \$prev in -B | --build) dir=\$a ;; esac
  prev=\$a
done
echo "-- fake configure chatter"
echo "fake.cpp:1:2: warning: fake -Wrestrict noise" >&2
if [[ \$(cd "\$dir" 2>/dev/null && pwd) != "\$LAMPI_BUILD_DIR" && \$dir != "\$LAMPI_BUILD_DIR" ]]; then
  echo "cmake stand-in: refusing to touch \$dir (LAMPI_BUILD_DIR is \$LAMPI_BUILD_DIR)" >&2
  exit 1
fi
case \${FAKE_CMAKE:-pass} in
  pass) exec "$real_cmake" "\$@" ;;
  fail) echo "fake.cpp:3:4: error: fake failure" >&2; exit 1 ;;
  fake)
    if [[ \$1 == --build ]]; then
      mkdir -p "\$dir/fleet"
      printf '#!/bin/sh\necho "stand-in lampi-fleet \$*"\npwd\n' >"\$dir/fleet/lampi-fleet"
      chmod +x "\$dir/fleet/lampi-fleet"
    else
      mkdir -p "\$dir" && touch "\$dir/CMakeCache.txt"
    fi
    ;;
esac
EOF
chmod +x "$shims/dpkg-query" "$shims/cmake"

# run_sh BUILD_DIR ARGS...: deploy/run.sh from $tmp/work; output in $tmp/out, code in $code.
run_sh() {
  local dir=$1
  shift
  code=0
  (cd "$tmp/work" && PATH="$shims:$PATH" LAMPI_BUILD_DIR=$dir "$repo/deploy/run.sh" "$@") \
    >"$tmp/out" 2>&1 || code=$?
  sed 's/^/    /' "$tmp/out"
}
no_build_noise() {
  if grep -qiE 'fake (configure chatter|-Wrestrict)|building lampi-fleet' "$tmp/out"; then
    fail "$1: the build was not quiet"
  fi
}

mkdir "$tmp/work"
cp "$repo/config/local.yaml" "$tmp/work/rel.yaml"

echo "--- validate -c rel.yaml, a path relative to the caller's directory"
run_sh "$build" validate -c rel.yaml
((code == 0)) || fail "validate exited $code"
[[ $(cat "$tmp/out") == "rel.yaml: OK (200 lamps)" ]] || fail "validate printed more, or else"
no_build_noise "validate"

echo "--- a short run writing its outputs to relative paths"
run_sh "$build" -n 2 -d 2s --metrics-listen "" --summary-json out.json --report r.html
((code == 0)) || fail "the run exited $code"
[[ -s $tmp/work/out.json && -s $tmp/work/r.html ]] || fail "the outputs are not in the caller's directory"
[[ ! -e $repo/out.json && ! -e $repo/r.html ]] || fail "the outputs landed in the repository"
grep -q 'Verdict: OK' "$tmp/out" || fail "no verdict"
no_build_noise "the run"

echo "--- a failing build shows its log, and says where it is"
FAKE_CMAKE=fail run_sh "$build" validate -c rel.yaml
((code != 0)) || fail "a failed build exited 0"
grep -q 'fake.cpp:3:4: error: fake failure' "$tmp/out" || fail "the build's error was not shown"
grep -qE "log.*$build/" "$tmp/out" || fail "the log was not named"
if grep -q 'stand-in lampi-fleet' "$tmp/out"; then fail "the tool ran after a failed build"; fi

echo "--- a first build says so, configures quietly, and runs the default config"
FAKE_CMAKE=fake run_sh "$tmp/first-build"
((code == 0)) || fail "the first run exited $code"
grep -qi 'building lampi-fleet' "$tmp/out" || fail "a first build did not say it was building"
if grep -qE 'fake (configure chatter|-Wrestrict)' "$tmp/out"; then fail "the first build was not quiet"; fi
grep -qx "stand-in lampi-fleet run -c $repo/config/local.yaml" "$tmp/out" || fail "not the default run"
grep -qx "$tmp/work" "$tmp/out" || fail "the tool did not run in the caller's directory"
echo "--- and a second one builds quietly"
FAKE_CMAKE=fake run_sh "$tmp/first-build" --version
grep -qx "stand-in lampi-fleet --version" "$tmp/out" || fail "--version was not passed as it is"
no_build_noise "the second run"

finish "deploy/run.sh runs the tool where it was called, quietly"
