# Shared by the ensure-*.sh scripts: install the Debian packages named in $missing (an array),
# once, as root; otherwise say the exact command to run. Sourced, not executed.
apt_install_missing() {
  local tag=$1
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "[$tag] missing: ${missing[*]} — run: sudo apt-get install ${missing[*]}" >&2; exit 1
  fi
  echo "[$tag] installing ${missing[*]} (one time)…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
