#!/bin/bash
# Every bomb at once for $1 seconds from a root shell in a sandbox, each held only by the
# sandbox's own limits: four CPU burners, a memory bomb (a GiB at a time, killed at the limit and
# started again), a disk filler (512 MiB at a time, stopped by the cap, removed, again) and a
# fork bomb. Every bomb stops itself at the deadline ($SECONDS, a builtin: the fork bomb leaves
# no process slot for a `sleep` or a `kill`), then this shell waits until only the processes that
# were there before are left (up to 20 s more), removes the fill and prints "done".
duration=${1:-15}
end=$((SECONDS + duration))
before=(/proc/[0-9]*)
first() { echo 1000 > /proc/self/oom_score_adj; }   # a bomb goes before this shell at the memory limit
for _ in 1 2 3 4; do ( first; while ((SECONDS < end)); do :; done ) & done
( first; while ((SECONDS < end)); do perl -e '$x = "m" x (1 << 30)'; done ) 2>/dev/null &
( first; while ((SECONDS < end)); do head -c 512M /dev/zero > /root/.bomb-fill; rm -f /root/.bomb-fill; done ) 2>/dev/null &
( first; bomb() { ((SECONDS < end)) || exit 0; bomb | bomb & }; bomb ) 2>/dev/null &
wait 2>/dev/null
while ((SECONDS < end + 20)); do
  procs=(/proc/[0-9]*)
  ((${#procs[@]} <= ${#before[@]})) && break
done
procs=(/proc/[0-9]*)
rm -f /root/.bomb-fill
echo "done (${#procs[@]} processes left)"
