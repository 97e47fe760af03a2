#!/usr/bin/env bash
# Regenerates the real CLI-output fixtures in test/fixtures/cli by running the real tools on real
# projects in a scratch directory outside the repository. Timings, temp paths and versions will
# differ from the committed files; the structure (what fails and how) will not. FIXTURE_OUT=dir writes
# elsewhere (to compare with the committed files); CLIFIX_DIR=dir moves the scratch directory.
#
# Needs: git, python3-pytest (Debian), golang-go (Debian), cargo (offline), gcc, clang + make, node + npm
# (npm registry reachable for jest/vitest/mocha/typescript/eslint/pnpm), and a git copy of
# https://github.com/more-itertools/more-itertools (MORE_ITERTOOLS_GIT, default: the mirror path).
set -uo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${FIXTURE_OUT:-$REPO/test/fixtures/cli}"
SRC="$REPO/test/fixtures/cli/projects"
W="${CLIFIX_DIR:-/tmp/clifix}"
MIT="${MORE_ITERTOOLS_GIT:-/work/.mirror/more-itertools+more-itertools/repo}"
mkdir -p "$W"

# --- pytest (Debian's python3-pytest 7.2.1) on more-itertools at 2fe1b2e ----------------------
rm -rf "$W/more-itertools" && git clone -q "$MIT" "$W/more-itertools"
( cd "$W/more-itertools" && git checkout -q 2fe1b2eeb9d75f994113fe3ac76d14b6bcd6fb10 &&
  /usr/bin/python3 -m pytest -v tests/test_recipes.py > "$OUT/pytest-pass.txt" 2>&1
  git apply "$SRC/more-itertools-bugs.patch" &&
  /usr/bin/python3 -m pytest tests/ > "$OUT/pytest-fail.txt" 2>&1
  git checkout -q -- .
  printf 'import more_itertools as mi\nfrom more_itertools import not_a_real_function\n\n\ndef test_uses_it():\n    assert not_a_real_function([1]) == 1\n' > tests/test_broken_import.py
  /usr/bin/python3 -m pytest tests/test_broken_import.py tests/test_recipes.py > "$OUT/pytest-collect-error.txt" 2>&1
  rm tests/test_broken_import.py )

# --- git on the same repository ------------------------------------------------------------------
( cd "$W/more-itertools" &&
  git diff v10.6.0 v10.7.0 > "$OUT/git-diff.txt" &&
  git log -n 80 v11.1.0 > "$OUT/git-log.txt" &&
  git log --stat -n 25 v11.1.0 > "$OUT/git-log-stat.txt" &&
  git apply "$SRC/more-itertools-bugs.patch" && git add more_itertools/recipes.py &&
  echo "# scratch" >> tests/test_recipes.py && echo "x" >> README.rst && rm docs/make.bat &&
  mkdir -p scratch && for i in 1 2 3; do echo $i > scratch/bench_$i.py; done && echo notes > NOTES.md &&
  git status > "$OUT/git-status.txt" && git status --porcelain=v1 -b > "$OUT/git-status-porcelain.txt" &&
  git reset -q && git checkout -q -- . && rm -rf scratch NOTES.md )

# --- npm install (verbose) of the JS tool chain; jest / vitest / mocha / tsc / eslint ------------
rm -rf "$W/js" && mkdir -p "$W/js/src" "$W/js/test-jest" "$W/js/test-vitest" "$W/js/test-mocha" "$W/js/tsproj" "$W/js/tsapp"
cp "$SRC/textkit/textkit.js" "$W/js/src/" && cp "$SRC/textkit/gen-tests.mjs" "$SRC/textkit/test-cases.txt" "$SRC/textkit/eslint.config.js" "$W/js/"
cp "$SRC/textkit/tsconfig.checkjs.json" "$W/js/tsproj/tsconfig.json" && cp -r "$SRC/tsapp/." "$W/js/tsapp/"
cd "$W/js"
echo '{ "name": "textkit", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm install --save-dev --verbose jest@29 vitest@3 mocha@10 typescript@5.9 eslint@9 @eslint/js@9 typescript-eslint@8 > "$OUT/npm-install-verbose.txt" 2>&1
node gen-tests.mjs
export NODE_OPTIONS=--experimental-vm-modules
patch -s -p1 < "$SRC/textkit/bugs.patch"
FORCE_COLOR=1 npx jest --rootDir . --testMatch '**/test-jest/**/*.test.js' > "$OUT/jest-fail.txt" 2>&1
npx vitest run --dir test-vitest > "$OUT/vitest-fail.txt" 2>&1
npx mocha 'test-mocha/*.spec.js' > "$OUT/mocha-fail.txt" 2>&1
patch -s -R -p1 < "$SRC/textkit/bugs.patch"
npx jest --rootDir . --verbose --testMatch '**/test-jest/**/*.test.js' > "$OUT/jest-pass.txt" 2>&1
FORCE_COLOR=1 npx vitest run --reporter=verbose --dir test-vitest > "$OUT/vitest-pass.txt" 2>&1
npx mocha 'test-mocha/*.spec.js' > "$OUT/mocha-pass.txt" 2>&1
unset NODE_OPTIONS
mkdir -p lintme && cp -r node_modules/mocha/lib lintme/mocha-lib
npx eslint lintme > "$OUT/eslint-fail.txt" 2>&1
npx tsc -p tsproj/tsconfig.json --pretty > "$OUT/tsc-pretty-fail.txt" 2>&1
( cd tsapp && npx tsc -p . > "$OUT/tsc-fail.txt" 2>&1 )

# --- npm install failure and pnpm install ---------------------------------------------------------
rm -rf "$W/npmfail" && mkdir -p "$W/npmfail" && cd "$W/npmfail"
echo '{"name":"npm-fail-fixture","version":"1.0.0","private":true}' > package.json
npm install left-pad@99.0.0 > "$OUT/npm-install-fail.txt" 2>&1
rm -rf "$W/pnpmproj" && mkdir -p "$W/pnpmproj" && cd "$W/pnpmproj"
echo '{"name":"pnpm-fixture","version":"1.0.0","private":true}' > package.json
npx --yes pnpm@9.15.0 add express@5 zod@4 pino@10 vitest@3 > "$OUT/pnpm-install.txt" 2>&1

rm -rf "$W/yarnproj" && mkdir -p "$W/yarnproj" && cd "$W/yarnproj"
echo '{"name":"yarn-fixture","version":"1.0.0","private":true,"license":"MIT"}' > package.json
npx --yes yarn@1.22.22 add express@5 zod@4 > "$OUT/yarn-install.txt" 2>&1
npx --yes yarn@1.22.22 add left-pad@99.0.0 > "$OUT/yarn-install-fail.txt" 2>&1

# --- cargo (offline, no dependencies) ------------------------------------------------------------
rm -rf "$W/rust" && mkdir -p "$W/rust/durations/src" && cd "$W/rust/durations"
cp "$SRC/durations/Cargo.toml" . && cp "$SRC/durations/lib.rs" src/lib.rs
RUST_BACKTRACE=1 cargo test --offline > "$OUT/cargo-test-pass.txt" 2>&1
sed -i 's/        if ms >= size {/        if ms > size {/' src/lib.rs
RUST_BACKTRACE=1 cargo test --offline > "$OUT/cargo-test-fail.txt" 2>&1
cp "$SRC/durations/lib.rs" src/lib.rs
python3 - <<'PY'
p = 'src/lib.rs'; s = open(p).read()
s = s.replace('    let ms = unit_ms(unit)?;\n', '    let ms = unit_ms(unit)?;\n    let scale = 1u32;\n')
s = s.replace('    Ok(n * ms)\n', '    Ok(n * ms * scale)\n')
s = s.replace('        return "0ms".to_string();', '        let unused = ms + 1;\n        return "0ms";')
open(p, 'w').write(s)
PY
cargo build --offline > "$OUT/cargo-build-fail.txt" 2>&1

# --- go test (Debian golang-go 1.19, no network) --------------------------------------------------
rm -rf "$W/go" && mkdir -p "$W/go/wordfreq" && cd "$W/go/wordfreq" && cp "$SRC/wordfreq/"* .
export GOPATH="$W/go/gopath" GOCACHE="$W/go/cache" GOPROXY=off GOFLAGS=-mod=mod
go test -v ./... > "$OUT/go-test-pass.txt" 2>&1
sed -i "s/return !unicode.IsLetter(r) \&\& r != '\\\\''/return !unicode.IsLetter(r) \&\& !unicode.IsDigit(r) \&\& r != '\\\\''/; s/\tif n < len(pairs) {/\tif n != len(pairs) {/" wordfreq.go
go test -v ./... > "$OUT/go-test-fail.txt" 2>&1

# --- make + gcc with real compile errors ----------------------------------------------------------
rm -rf "$W/c" && mkdir -p "$W/c" && cp -r "$SRC/ringbuf" "$W/c/" && cd "$W/c/ringbuf"
make -k > "$OUT/make-gcc-fail.txt" 2>&1
make clean > /dev/null && make -k CC=clang > "$OUT/make-clang-fail.txt" 2>&1

# --- generic logs: this machine's own apt/dpkg logs ------------------------------------------------
( DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall python3-pytest > "$OUT/apt-install-log.txt" 2>&1 ) || true
tail -n 400 /var/log/dpkg.log > "$OUT/dpkg-log.txt"

echo "fixtures written to $OUT"
