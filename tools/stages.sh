# Sourced by dev.sh and .ci/run: `stage NAME CMD...` runs CMD and prints its wall time and CPU time
# (user + sys of every process it ran and waited for), so a CI log shows where the time went.
# `stage_total [NAME]` prints the same for everything the calling script has run so far.

_children_cpu() {  # sets _U and _S: user and sys seconds of this shell's finished children
  local f line
  f=$(mktemp)
  times >"$f"  # the builtin, in this shell (a subshell would report its own, empty, children)
  line=$(sed -n 2p "$f")
  rm -f "$f"
  read -r _U _S <<<"$(awk '{ for (i = 1; i <= 2; i++) { split($i, t, "m"); sub("s", "", t[2]); printf "%.2f ", t[1] * 60 + t[2] } }' <<<"$line")"
}

_report() {  # name wall0 user0 sys0
  _children_cpu
  awk -v n="$1" -v w0="$2" -v w1="$EPOCHREALTIME" -v u="$_U" -v u0="$3" -v s="$_S" -v s0="$4" \
    'BEGIN { printf "[stage] %-22s wall %7.1f s   cpu %7.1f s (user %.1f + sys %.1f)\n", n, w1 - w0, u - u0 + s - s0, u - u0, s - s0 }' >&2
}

stage() {
  local name=$1 w0=$EPOCHREALTIME u0 s0 rc=0
  shift
  _children_cpu
  u0=$_U s0=$_S
  "$@" || rc=$?
  _report "$name" "$w0" "$u0" "$s0"
  return "$rc"
}

_STAGES_T0=$EPOCHREALTIME
stage_total() { _report "${1:-total}" "$_STAGES_T0" 0 0; }
