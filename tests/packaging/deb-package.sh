#!/usr/bin/env bash
# deb_package: builds the store-agent .deb of a build tree with cpack and checks it.
#
#   deb-package.sh BUILD_DIR SOURCE_DIR [STORE_AGENT_BIN CROSSCOMPILING]
#
# 1. cpack -G DEB into a temp dir (store-agent and storectl must be built).
# 2. Control data: name, version, architecture, Depends, conffiles, scripts.
# 3. Files: binaries, unit, udev rules, config, docs; the rootfs files are
#    byte for byte firmware-cfg/rootfs/ (the single source).
# 4. The binaries' ELF machine matches Architecture (amd64 x86-64, arm64
#    AArch64, armhf ARM), and they are stripped. They are never run.
# 5. The unit (systemd-analyze verify when present), the udev rules (syntax),
#    the default config (loaded by the build's store-agent, native builds only).
# 6. Maintainer scripts: sh -n, shellcheck when present; then install, upgrade,
#    remove and purge with dpkg --root into throwaway roots, with adduser,
#    getent, chown, systemctl, deb-systemd-* and udevadm replaced by stubs that
#    log: data in /var/lib/store-agent and the edited config survive each step.
set -euo pipefail

build_dir="${1:?usage: deb-package.sh BUILD_DIR SOURCE_DIR [STORE_AGENT_BIN CROSSCOMPILING]}"
src_dir="${2:?usage: deb-package.sh BUILD_DIR SOURCE_DIR [STORE_AGENT_BIN CROSSCOMPILING]}"
agent_bin="${3:-}"
cross="${4:-0}"
rootfs="$src_dir/firmware-cfg/rootfs"

fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
has() { command -v "$1" >/dev/null 2>&1; }

for tool in cpack dpkg-deb dpkg od; do
  has "$tool" || die "$tool not found (toolchains/install-deps.sh installs dpkg-dev and binutils)"
done
cpack_config="$build_dir/CPackConfig.cmake"
[[ -f "$cpack_config" ]] || die "$cpack_config missing: configure the build tree first"
for exe in store-agent storectl; do
  [[ -x "$build_dir/bin/$exe" ]] ||
    die "$build_dir/bin/$exe not built: cmake --build $build_dir --target store-agent storectl"
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/deb-package.XXXXXX")"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

# ------------------------------------------------------------------ 1. cpack
if ! timeout 240 cpack --config "$cpack_config" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2
  die "cpack -G DEB failed"
fi
shopt -s nullglob
debs=("$tmp"/out/*.deb)
shopt -u nullglob
[[ ${#debs[@]} -eq 1 ]] || { cat "$tmp/cpack.log" >&2; die "expected one .deb, got ${#debs[@]}"; }
deb="${debs[0]}"
ok "cpack made $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# --------------------------------------------------------- 2. control data
field() { dpkg-deb -f "$deb" "$1"; }
cpack_var() { sed -n "s/^set($1 \"\\(.*\\)\")\$/\\1/p" "$cpack_config" | head -n 1; }

[[ "$(field Package)" == store-agent ]] || fail "Package is '$(field Package)', not store-agent"
want_version="$(cpack_var CPACK_PACKAGE_VERSION)"
[[ -n "$want_version" && "$(field Version)" == "$want_version" ]] ||
  fail "Version is '$(field Version)', project() says '$want_version'"
arch="$(field Architecture)"
case "$arch" in
  amd64) want_machine=62 want_class=2 machine_name="x86-64" ;;
  arm64) want_machine=183 want_class=2 machine_name="AArch64" ;;
  armhf) want_machine=40 want_class=1 machine_name="ARM" ;;
  i386) want_machine=3 want_class=1 machine_name="80386" ;;
  *) die "Architecture '$arch' is not one this test knows (amd64, arm64, armhf, i386)" ;;
esac
[[ "$(basename "$deb")" == "store-agent_${want_version}_${arch}.deb" ]] ||
  fail "file name $(basename "$deb") is not store-agent_${want_version}_${arch}.deb"
depends="$(field Depends)"
# Package names of Depends, one a line.
dep_names() { tr ',|' '\n' | sed 's/(.*)//; s/:.*//; s/[[:space:]]//g' | sed '/^$/d' | sort -u; }
for need in adduser libc6 libstdc++6; do
  dep_names <<<"$depends" | grep -qx "$need" || fail "Depends lacks $need: $depends"
done
[[ "$depends" != *", ,"* && "$depends" != *",," && "$depends" != ", "* ]] ||
  fail "Depends has an empty entry: $depends"
# A cross build lists its runtime packages by hand (SA_DEB_RUNTIME_DEPENDS); a
# native one asks dpkg-shlibdeps. Here the two must agree, or a cross package
# would install without a library it needs.
if [[ "$(cpack_var CPACK_DEBIAN_PACKAGE_SHLIBDEPS)" == ON ]]; then
  explicit="$(cpack_var CPACK_SA_RUNTIME_DEPENDS)"
  missing="$(comm -23 <(dep_names <<<"$depends" | grep -vx adduser) <(dep_names <<<"$explicit"))"
  extra="$(comm -13 <(dep_names <<<"$depends") <(dep_names <<<"$explicit"))"
  [[ -z "$missing" ]] ||
    fail "dpkg-shlibdeps needs ${missing//$'\n'/ } but SA_DEB_RUNTIME_DEPENDS (toolchains/cmake/SaPackaging.cmake, used for cross builds) lacks it"
  [[ -z "$extra" ]] || echo "note: SA_DEB_RUNTIME_DEPENDS lists ${extra//$'\n'/ }, which this build does not link"
fi
ok "control: store-agent $want_version $arch; Depends: $depends"
echo "Installed-Size: $(field Installed-Size) KiB"

dpkg-deb -e "$deb" "$tmp/control"
[[ "$(cat "$tmp/control/conffiles" 2>/dev/null)" == "/etc/store-agent/agent.toml" ]] ||
  fail "conffiles is not exactly /etc/store-agent/agent.toml"
for script in postinst prerm postrm; do
  f="$tmp/control/$script"
  if [[ ! -f "$f" ]]; then fail "no $script"; continue; fi
  [[ -x "$f" ]] || fail "$script is not executable"
  cmp -s "$f" "$src_dir/firmware-cfg/debian/$script" || fail "$script differs from firmware-cfg/debian/$script"
  sh -n "$f" || fail "$script: sh -n"
  if has shellcheck; then shellcheck -s sh "$f" || fail "$script: shellcheck"; fi
done
[[ ! -e "$tmp/control/preinst" ]] || fail "unexpected preinst"
# Data must outlive the package: no script deletes it, nor the user who owns it.
for script in postrm prerm postinst; do
  if grep -nE '(^|[;&|[:space:]])(rm|rmdir|deluser|delgroup|userdel|groupdel)[[:space:]]' \
       "$tmp/control/$script"; then
    fail "$script deletes files or the user (the ledger in /var/lib/store-agent must be kept)"
  fi
done
ok "conffiles and maintainer scripts$(has shellcheck && echo ' (shellcheck clean)')"

# ------------------------------------------------------------------ 3. files
dpkg-deb -c "$deb" >"$tmp/contents"
listed() { awk '{print $6}' "$tmp/contents" | grep -qx "./$1"; }
for f in usr/bin/store-agent usr/bin/storectl lib/systemd/system/store-agent.service \
         lib/udev/rules.d/60-store-agent.rules etc/store-agent/agent.toml \
         usr/share/doc/store-agent/copyright usr/share/doc/store-agent/README.md; do
  listed "$f" || fail "package lacks /$f"
done
# dpkg must not own the data dir (it would try to remove it on purge).
if awk '{print $6}' "$tmp/contents" | grep -q '^\./var/lib/store-agent'; then
  fail "package ships /var/lib/store-agent; postinst makes it, so dpkg never owns the data"
fi
awk '{print $2}' "$tmp/contents" | grep -vqx 'root/root' && fail "files not owned by root/root"
for exe in store-agent storectl; do
  grep -q "^-rwxr-xr-x .* \./usr/bin/$exe\$" "$tmp/contents" || fail "/usr/bin/$exe is not 0755"
done
dpkg-deb -x "$deb" "$tmp/pkg"
for f in lib/systemd/system/store-agent.service lib/udev/rules.d/60-store-agent.rules \
         etc/store-agent/agent.toml; do
  cmp -s "$tmp/pkg/$f" "$rootfs/$f" || fail "/$f in the package differs from firmware-cfg/rootfs/$f"
done
ok "files ($(grep -c '^-' "$tmp/contents") files)"

# ------------------------------------------------------- 4. ELF machine
byte_at() { od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
for exe in store-agent storectl; do
  f="$tmp/pkg/usr/bin/$exe"
  magic="$(od -An -c -N 4 "$f" | tr -d ' ')"
  [[ "$magic" == '177ELF' ]] || { fail "$exe is not an ELF file"; continue; }
  class="$(byte_at "$f" 4)"
  data="$(byte_at "$f" 5)"
  [[ "$data" == 1 ]] || fail "$exe is not little-endian ELF"
  machine=$(( $(byte_at "$f" 18) + 256 * $(byte_at "$f" 19) ))
  if [[ "$machine" != "$want_machine" || "$class" != "$want_class" ]]; then
    fail "$exe: ELF machine $machine class $class, but Architecture $arch wants $machine_name ($want_machine, class $want_class)"
  else
    ok "$exe: ELF machine $machine ($machine_name), as Architecture $arch wants"
  fi
  if has readelf; then
    shown="$(readelf -h "$f" | sed -n 's/^ *Machine: *//p')"
    echo "   readelf: Machine: $shown"
    if readelf -S -W "$f" | grep -qE '\.(symtab|debug_info)\b'; then
      fail "$exe is not stripped (.symtab/.debug_info present)"
    fi
  fi
done

# ---------------------------------------------------------------- 5. unit
unit="$tmp/pkg/lib/systemd/system/store-agent.service"
for line in 'Type=notify' 'WatchdogSec=30' 'Restart=on-failure' 'NoNewPrivileges=yes' \
            'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
            'ReadWritePaths=/var/lib/store-agent' 'User=store-agent' 'Group=store-agent' \
            'StateDirectory=store-agent' 'StateDirectoryMode=0750' \
            'ExecStart=/usr/bin/store-agent --config /etc/store-agent/agent.toml --data-dir /var/lib/store-agent'; do
  grep -qxF "$line" "$unit" || fail "unit lacks '$line'"
done
grep -qE '^RestartSec=' "$unit" || fail "unit lacks RestartSec="
grep -qE '^LimitNOFILE=' "$unit" || fail "unit lacks LimitNOFILE="
grep -qE '^SupplementaryGroups=.*\binput\b.*\bdialout\b.*\blp\b' "$unit" ||
  fail "unit's SupplementaryGroups lacks input dialout lp"
# Scanners, serial ports, cameras and printers are devices: PrivateDevices would hide them.
grep -qE '^PrivateDevices=(yes|true|1|on)' "$unit" && fail "PrivateDevices= hides the scanners"
if grep -qE '^(DevicePolicy=(closed|strict)|DeviceAllow=)' "$unit"; then
  for group in input ttyACM ttyUSB usb video4linux; do
    grep -qE "^DeviceAllow=char-$group rw" "$unit" || fail "unit restricts devices but lacks DeviceAllow=char-$group rw"
  done
fi
if grep -qE '^AmbientCapabilities=.+' "$unit"; then fail "unit grants AmbientCapabilities"; fi
if has systemd-analyze; then
  # Verified as shipped, but with ExecStart pointing at the extracted binary
  # (systemd-analyze checks that it is executable; nothing is run).
  mkdir -p "$tmp/verify"
  sed "s#^ExecStart=/usr/bin/store-agent#ExecStart=$tmp/pkg/usr/bin/store-agent#" "$unit" \
    >"$tmp/verify/store-agent.service"
  if ! timeout 60 systemd-analyze verify --man=no "$tmp/verify/store-agent.service" \
       >"$tmp/verify.log" 2>&1 || [[ -s "$tmp/verify.log" ]]; then
    cat "$tmp/verify.log" >&2
    fail "systemd-analyze verify store-agent.service"
  else
    ok "systemd-analyze verify: clean"
  fi
else
  echo "note: systemd-analyze not installed; unit checked by grep only"
fi
ok "unit"

# ------------------------------------------------------------- udev rules
rules="$tmp/pkg/lib/udev/rules.d/60-store-agent.rules"
if has udevadm && udevadm verify --help >/dev/null 2>&1; then
  udevadm verify --no-summary "$rules" || fail "udevadm verify 60-store-agent.rules"
fi
# Syntax, as udev reads it: KEY[{attr}]OP"value" tokens separated by commas,
# lines joined at a trailing backslash; GOTO targets exist; groups and modes sane.
check_rules() {
  local file="$1" logical="" n=0 start=0 line rest key op value
  local -a labels=() gotos=()
  local token_re='^[[:space:]]*([A-Z_]+)(\{[^}]*\})?(==|!=|\+=|-=|:=|=)"([^"]*)"[[:space:]]*(,|$)(.*)$'
  local match_keys=' ACTION DEVPATH KERNEL KERNELS NAME SYMLINK SUBSYSTEM SUBSYSTEMS DRIVER DRIVERS ATTR ATTRS SYSCTL ENV CONST TAG TAGS TEST PROGRAM RESULT '
  local assign_keys=' NAME SYMLINK OWNER GROUP MODE SECLABEL ATTR SYSCTL ENV TAG RUN LABEL GOTO IMPORT OPTIONS '
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    if [[ -z "$logical" ]]; then start=$n; fi
    if [[ "$line" =~ \\$ ]]; then logical+="${line%\\} "; continue; fi
    logical+="$line"
    rest="$logical"
    logical=""
    [[ "$rest" =~ ^[[:space:]]*(#|$) ]] && continue
    local matches=0 assigns=0
    while [[ -n "${rest//[[:space:]]/}" ]]; do
      if [[ ! "$rest" =~ $token_re ]]; then
        echo "$file:$start: cannot parse '$rest'" >&2; return 1
      fi
      key="${BASH_REMATCH[1]}" op="${BASH_REMATCH[3]}" value="${BASH_REMATCH[4]}"
      rest="${BASH_REMATCH[6]}"
      [[ "${BASH_REMATCH[5]}" == "," && -z "${rest//[[:space:]]/}" ]] &&
        { echo "$file:$start: trailing comma" >&2; return 1; }
      if [[ "$op" == "==" || "$op" == "!=" ]]; then
        [[ "$match_keys" == *" $key "* ]] || { echo "$file:$start: $key cannot be matched" >&2; return 1; }
        matches=$((matches + 1))
      else
        [[ "$assign_keys" == *" $key "* ]] || { echo "$file:$start: $key cannot be assigned" >&2; return 1; }
        assigns=$((assigns + 1))
      fi
      case "$key" in
        LABEL) labels+=("$value") ;;
        GOTO) gotos+=("$value") ;;
        GROUP) [[ " store-agent input dialout lp video " == *" $value "* ]] ||
                 { echo "$file:$start: GROUP=\"$value\" is not one the agent has" >&2; return 1; } ;;
        MODE) [[ "$value" =~ ^0[0-7]{3}$ ]] || { echo "$file:$start: MODE=\"$value\"" >&2; return 1; }
              [[ "$value" =~ [2367]$ ]] && { echo "$file:$start: MODE=\"$value\" is world-writable" >&2; return 1; } ;;
        SYMLINK) [[ "$value" == store-agent/* ]] ||
                   { echo "$file:$start: links go under /dev/store-agent/" >&2; return 1; } ;;
      esac
    done
    # Only a LABEL line may go without a match (a bare assignment hits every device).
    if [[ $matches -eq 0 && ! ( $assigns -eq 1 && "$key" == LABEL ) ]]; then
      echo "$file:$start: a rule without a match applies to every device" >&2; return 1
    fi
  done <"$file"
  [[ -z "$logical" ]] || { echo "$file: ends inside a continued line" >&2; return 1; }
  local g l found
  for g in "${gotos[@]}"; do
    found=0
    for l in "${labels[@]}"; do [[ "$l" == "$g" ]] && found=1; done
    [[ $found -eq 1 ]] || { echo "$file: GOTO=\"$g\" has no LABEL" >&2; return 1; }
  done
  return 0
}
check_rules "$rules" || fail "60-store-agent.rules syntax"
for what in 'SUBSYSTEM=="input"' 'SUBSYSTEM=="tty"' 'SUBSYSTEM=="usbmisc"' 'SUBSYSTEM=="video4linux"' \
            'ENV{ID_INPUT_KEYBOARD}=="1"' '0c2e' '05e0' '05f9' '1eab' 'GROUP="lp"'; do
  grep -qF "$what" "$rules" || fail "udev rules lack $what"
done
ok "udev rules"

# ---------------------------------------------------------------- config
toml="$tmp/pkg/etc/store-agent/agent.toml"
grep -qx 'listen = "127.0.0.1:8787"' "$toml" || fail "config does not listen on 127.0.0.1:8787"
grep -qx 'url = ""' "$toml" || fail "config has a cloud"
grep -qx 'require_signature = false' "$toml" || fail "config: require_signature is not false"
grep -qx '#   require_signature = true' "$toml" || fail "config does not say how to require signatures"
if [[ "$cross" =~ ^(1|ON|TRUE|YES|true|on|yes)$ || -z "$agent_bin" || ! -x "$agent_bin" ]]; then
  echo "note: cross build (or no store-agent given): the config is not loaded here"
else
  # The build's own store-agent (not the packaged one) loads it: any bad key or
  # value stops it at start. A free port and a temp data dir; SIGTERM ends it.
  mkdir -p "$tmp/data"
  "$agent_bin" --config "$toml" --data-dir "$tmp/data" --listen 127.0.0.1:0 \
    >"$tmp/agent.out" 2>"$tmp/agent.err" &
  pid=$!
  for _ in $(seq 100); do
    [[ -s "$tmp/data/api-url" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -s "$tmp/data/api-url" ]]; then
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    [[ $rc -eq 0 ]] || fail "store-agent exited $rc on SIGTERM"
    ok "config loads: store-agent started with it and stopped on SIGTERM"
    # Complete: every key of --print-config is in the box's config.
    toml_keys() { awk '/^\[/{t=$0} /^[a-z_]+ = /{print t " " $1}' "$1" | sort; }
    "$agent_bin" --print-config >"$tmp/defaults.toml"
    absent="$(comm -23 <(toml_keys "$tmp/defaults.toml") <(toml_keys "$toml"))"
    [[ -z "$absent" ]] ||
      fail "firmware-cfg/rootfs/etc/store-agent/agent.toml lacks keys of --print-config: ${absent//$'\n'/, }"
  else
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    cat "$tmp/agent.err" >&2
    fail "store-agent did not start with the packaged agent.toml"
  fi
fi

# ------------------------------------------ 6. install / upgrade / remove
# A second .deb, a later version of the same files: dpkg runs the upgrade path.
dpkg-deb -R "$deb" "$tmp/v2"
sed -i "s/^Version: .*/Version: ${want_version}+test2/" "$tmp/v2/DEBIAN/control"
deb2="$tmp/store-agent_v2.deb"
dpkg-deb --root-owner-group -Zgzip -z1 -b "$tmp/v2" "$deb2" >/dev/null

# Stubs for every command the scripts may run outside coreutils. They log, and
# keep a fake passwd/group state, so nothing on this machine changes.
make_stubs() {
  local dir="$1" log="$2" state="$3"
  mkdir -p "$dir" "$state"
  local name
  for name in chown systemctl deb-systemd-invoke udevadm deluser delgroup userdel groupdel \
              useradd groupadd usermod; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 0\n' "$name" "$log" >"$dir/$name"
  done
  cat >"$dir/getent" <<EOF
#!/bin/sh
echo "getent \$*" >>"$log"
case "\$2" in input|dialout|lp|video) echo "\$2:x:100:"; exit 0 ;; esac
[ -e "$state/\$1-\$2" ] && { echo "\$2:x:999:"; exit 0; }
exit 2
EOF
  cat >"$dir/addgroup" <<EOF
#!/bin/sh
echo "addgroup \$*" >>"$log"
for a; do last="\$a"; done
touch "$state/group-\$last"
EOF
  cat >"$dir/adduser" <<EOF
#!/bin/sh
echo "adduser \$*" >>"$log"
case " \$* " in *" --system "*) for a; do last="\$a"; done; touch "$state/passwd-\$last" ;; esac
exit 0
EOF
  cat >"$dir/deb-systemd-helper" <<EOF
#!/bin/sh
echo "deb-systemd-helper \$*" >>"$log"
# was-enabled is true unless the admin disabled the unit (so a new install enables it).
case "\$*" in *was-enabled*) [ ! -e "$state/disabled" ]; exit \$? ;; esac
exit 0
EOF
  chmod 0755 "$dir"/*
}

new_root() {
  local root="$1"
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
  : >"$root/var/lib/dpkg/status"
  : >"$root/var/lib/dpkg/available"
}

# dpkg into ROOT: its own database, scripts run unchrooted with DPKG_ROOT=ROOT;
# --force-architecture: a cross build's package installs here too (nothing runs it).
run_dpkg() {
  local root="$1" stubs="$2"
  shift 2
  echo "== dpkg $*" >>"$root.log"
  PATH="$stubs:/usr/sbin:/usr/bin:/sbin:/bin" timeout 120 \
    dpkg --root="$root" --admindir="$root/var/lib/dpkg" --log=/dev/null \
      --force-script-chrootless --force-not-root --force-depends --force-architecture --force-confold \
      --force-unsafe-io "$@" </dev/null >>"$root.dpkg.out" 2>&1
}

# Lines of the stub log between the section "== dpkg ARG..." and the next one.
section() { awk -v s="== dpkg $2" '/^== /{on = ($0 == s); next} on' "$1"; }

roundtrip() {
  local root="$1" systemd="$2" log="$1.log" stubs="$1.stubs" data="$1/var/lib/store-agent"
  local fails_before=$fails
  new_root "$root"
  make_stubs "$stubs" "$log" "$root.state"
  if [[ "$systemd" == yes ]]; then mkdir -p "$root/run/systemd/system"; fi

  if ! run_dpkg "$root" "$stubs" -i "$deb"; then
    cat "$root.dpkg.out" >&2; fail "[$systemd systemd] dpkg -i"; return
  fi
  [[ -x "$root/usr/bin/store-agent" && -f "$root/etc/store-agent/agent.toml" ]] ||
    fail "[$systemd systemd] install: files missing"
  [[ -d "$data" && "$(stat -c %a "$data")" == 750 ]] ||
    fail "[$systemd systemd] install: /var/lib/store-agent not made 0750"
  section "$log" "-i $deb" | grep -q '^adduser .*--system .*store-agent$' ||
    fail "[$systemd systemd] install: no system user made"
  section "$log" "-i $deb" | grep -q '^chown store-agent:store-agent .*/var/lib/store-agent$' ||
    fail "[$systemd systemd] install: data dir not given to store-agent"
  section "$log" "-i $deb" | grep -q '^deb-systemd-helper enable store-agent.service$' ||
    fail "[$systemd systemd] install: unit not enabled"
  if [[ "$systemd" == yes ]]; then
    section "$log" "-i $deb" | grep -q 'start store-agent.service$' ||
      fail "[with systemd] install: agent not started"
  fi

  # The store's data, and a local edit of the config.
  echo "ledger: 3 sales" >"$data/ledger.db"
  echo "token" >"$data/api-token"
  echo '# local edit' >>"$root/etc/store-agent/agent.toml"
  # The admin disabled the agent on this box: an upgrade must not enable it again.
  touch "$root.state/disabled"

  if ! run_dpkg "$root" "$stubs" -i "$deb2"; then
    cat "$root.dpkg.out" >&2; fail "[$systemd systemd] upgrade (dpkg -i v2)"; return
  fi
  section "$log" "-i $deb2" | grep -q 'stop store-agent' &&
    fail "[$systemd systemd] upgrade stopped the agent (prerm upgrade must not)"
  section "$log" "-i $deb2" | grep -q '^adduser .*--system' &&
    fail "[$systemd systemd] upgrade made the user again"
  section "$log" "-i $deb2" | grep -q '^deb-systemd-helper enable' &&
    fail "[$systemd systemd] upgrade enabled a unit the admin had disabled"
  if [[ "$systemd" == yes ]]; then
    section "$log" "-i $deb2" | grep -q 'try-restart store-agent.service$' ||
      fail "[with systemd] upgrade: agent not restarted on the new binary"
  fi

  if ! run_dpkg "$root" "$stubs" -r store-agent; then
    cat "$root.dpkg.out" >&2; fail "[$systemd systemd] dpkg -r"; return
  fi
  [[ ! -e "$root/usr/bin/store-agent" ]] || fail "[$systemd systemd] remove left /usr/bin/store-agent"
  grep -qx '# local edit' "$root/etc/store-agent/agent.toml" 2>/dev/null ||
    fail "[$systemd systemd] remove lost the edited config (a conffile stays until purge)"
  if [[ "$systemd" == yes ]]; then
    section "$log" "-r store-agent" | grep -q 'stop store-agent.service$' ||
      fail "[with systemd] remove: agent not stopped"
  fi

  if ! run_dpkg "$root" "$stubs" -P store-agent; then
    cat "$root.dpkg.out" >&2; fail "[$systemd systemd] dpkg -P"; return
  fi
  [[ ! -e "$root/etc/store-agent/agent.toml" ]] || fail "[$systemd systemd] purge left the conffile"
  [[ "$(cat "$data/ledger.db" 2>/dev/null)" == "ledger: 3 sales" && -f "$data/api-token" ]] ||
    fail "[$systemd systemd] data in /var/lib/store-agent lost by install/upgrade/remove/purge"
  grep -qE '^(deluser|delgroup|userdel|groupdel)' "$log" &&
    fail "[$systemd systemd] the store-agent user was deleted (its data is kept)"

  if [[ "$systemd" == no ]]; then
    # A chroot or container: nothing may talk to systemd or udev.
    grep -qE '^(systemctl|deb-systemd-invoke|udevadm) ' "$log" &&
      fail "[no systemd] scripts called systemctl/deb-systemd-invoke/udevadm: $(grep -E '^(systemctl|deb-systemd-invoke|udevadm) ' "$log" | head -n 3)"
  fi
  [[ $fails -eq $fails_before ]] && ok "dpkg round trip ($systemd systemd): install, upgrade to ${want_version}+test2, remove, purge; data and edited config kept"
}

if has dpkg; then
  roundtrip "$tmp/root-systemd" yes
  roundtrip "$tmp/root-chroot" no
else
  echo "note: no dpkg: round trip skipped"
fi

echo
dpkg-deb -c "$deb" | awk '{print $1, $3, $6}'
if [[ $fails -ne 0 ]]; then
  echo "deb_package: $fails check(s) failed" >&2
  exit 1
fi
echo "deb_package: all checks passed ($(basename "$deb"))"
