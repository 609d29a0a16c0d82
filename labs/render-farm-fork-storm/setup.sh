#!/usr/bin/env bash
# render01 as the on-call finds it. 47 minutes ago the nightly font-cache rebuild hung reading
# the shared fonts share while holding the font cache's lock exclusively; every PDF worker
# since then waits for that lock. 23 minutes ago a colleague "fixed" the growing invoice queue
# by setting MAX_WORKERS=0 (no limit) and restarting the renderer, which started a worker for
# every queued job until the app account ran out of processes (ulimit -u 120): the orders API,
# same account, can no longer start a thread per request and has been down since.
# The history is written into the logs relative to now; the checks work the true times out
# from the sandbox's start (the kernel's start time of pid 1), not from these logs.
set -euo pipefail
F=$OPSLAB_FILES
now=$(date +%s)
at() { date -u -d "@$((now - $1))" "+$2"; }   # at SECONDS_AGO FORMAT
HANG=$((47 * 60 + 13)) CONF=$((23 * 60 + 40)) RESTART=$((22 * 60 + 55)) DOWN=$((22 * 60 + 31))
ALERT=$((19 * 60 + 2)) BACKLOG=$((37 * 60 + 30))

# The process limit (ulimit -u) counts a uid's processes across the whole machine, other
# sandboxes included: each sandbox's app account gets a uid of its own.
id app >/dev/null 2>&1 || useradd -u $((20000 + RANDOM % 40000)) -M --home-dir /var/spool/pdf-render --shell /usr/sbin/nologin app
id mlopez >/dev/null 2>&1 || useradd -m -s /bin/bash -G sudo mlopez
install -m 0755 "$F/orders-api" /usr/local/bin/orders-api
install -m 0755 "$F/pdf-render" /usr/local/sbin/pdf-render
install -m 0755 "$F/pdf-render-worker" "$F/pdf-render-job" "$F/pdf-render-fontcache" /usr/local/bin/
install -m 0755 "$F/pdf-render.init" /etc/init.d/pdf-render
install -m 0755 "$F/orders-api.init" /etc/init.d/orders-api
install -d -o app -g app /var/spool/pdf-render /var/spool/pdf-render/queue /var/spool/pdf-render/work \
    /var/spool/pdf-render/out /var/cache/pdf-render /var/cache/pdf-render/fonts /var/log/pdf-render /var/log/orders-api
install -d /srv/shared-fonts /var/log/monitoring
mkfifo -m 0644 /srv/shared-fonts/.manifest   # the share's manifest, as the hung mount presents it: a read never returns
touch /var/cache/pdf-render/fonts.lock && chown app:app /var/cache/pdf-render/fonts.lock

printf '# pdf-render settings\n# at most this many render workers at once (0 = no limit)\nMAX_WORKERS=0\n' > /etc/pdf-render.conf
cat > /etc/cron.d/pdf-render <<'CRON'
# Nightly font cache rebuild: takes the font cache exclusively; workers wait meanwhile.
40 2 * * * app /usr/bin/flock -x /var/cache/pdf-render/fonts.lock /usr/local/bin/pdf-render-fontcache
CRON

cat > /root/incident.md.template <<'EOF2'
# Incident: <one line: what customers saw>
Severity: SEV1 | SEV2 | SEV3
Started: YYYY-MM-DD HH:MM UTC
Detected: YYYY-MM-DD HH:MM UTC
Resolved: YYYY-MM-DD HH:MM UTC
Trigger: <the change or event that set it off>
Root cause: <why it could happen>

## Timeline
- YYYY-MM-DD HH:MM UTC <what happened>
- YYYY-MM-DD HH:MM UTC <what happened>
- YYYY-MM-DD HH:MM UTC <what happened>

## Follow-ups
- <what should change so it does not happen again>
EOF2

# --- the state, as it is now ----------------------------------------------------------------
# The hung rebuild, holding the lock.
setpriv --reuid=app --regid=app --init-groups -- sh -c \
    'exec /usr/bin/flock -x /var/cache/pdf-render/fonts.lock /usr/local/bin/pdf-render-fontcache' \
    </dev/null >/dev/null 2>&1 &
# The backlog of invoices.
for i in $(seq 1 180); do
    printf 'id=inv-%d\npages=%d\ncustomer=C%d\n' $((880500 + i)) $((1 + i % 3)) $((1000 + i * 7 % 9000)) \
        > "/var/spool/pdf-render/queue/inv-$((880500 + i)).job"
done
chown app:app /var/spool/pdf-render/queue/*.job
for _ in $(seq 300); do grep -q "rebuild started" /var/log/pdf-render/fontcache.log 2>/dev/null && break; sleep 0.1; done
fc_pid=$(sed -n 's/.*fontcache\[\([0-9]*\)\]: rebuild started.*/\1/p' /var/log/pdf-render/fontcache.log | tail -n1)
service orders-api start >/dev/null
for _ in $(seq 300); do ss -Hltn 'sport = :8080' | grep -q . && break; sleep 0.1; done
service pdf-render start >/dev/null
# Wait for the storm to use up the account's processes.
for _ in $(seq 100); do
    [ "$(ps -u app --no-headers | wc -l)" -ge 115 ] && break
    sleep 0.1
done
api_pid=$(cat /run/orders-api.pid)
render_pid=$(cat /run/pdf-render.pid)

# --- the logs, as they were written (rewritten over what the processes just logged) ----------
{
    for m in 180 150 120 90 60; do
        echo "$(at $((HANG + m * 60)) %FT%TZ) pdf-render[2114]: rendered $((m / 3 + 7)) invoices in the last 30 min"
    done
    for i in $(seq 1 24); do
        echo "$(at $((HANG - i * 60 + 20)) %FT%TZ) pdf-render[2114]: worker for job inv-$((880400 + i * 3)).job waiting for the font cache lock (4 workers running)"
    done
    echo "$(at $((RESTART + 1)) %FT%TZ) pdf-render[2114]: stopping (SIGTERM)"
    echo "$(at $((RESTART - 1)) %FT%TZ) pdf-render[$render_pid]: started, max_workers=0 (unlimited)"
    echo "$(at $((DOWN + 3)) %FT%TZ) pdf-render[$render_pid]: cannot start worker: [Errno 11] Resource temporarily unavailable (114 workers running)"
} > /var/log/pdf-render/render.log
echo "$(at $HANG %FT%TZ) fontcache[$fc_pid]: rebuild started, reading /srv/shared-fonts" > /var/log/pdf-render/fontcache.log
{
    echo "$(at $((HANG + 86400)) %FT%TZ) fontcache[1022]: rebuild started, reading /srv/shared-fonts"
    echo "$(at $((HANG + 86400 - 95)) %FT%TZ) fontcache[1022]: rebuild done"
    cat /var/log/pdf-render/fontcache.log
} > /tmp/fc && mv /tmp/fc /var/log/pdf-render/fontcache.log
{
    echo "$(at 86000 %FT%TZ) INFO orders-api starting, pid $api_pid"
    for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
        echo "$(at $((DOWN - i * 97)) %FT%TZ) ERROR cannot handle request from 10.0.6.$((11 + i % 3)): can't start new thread"
    done
} > /var/log/orders-api/error.log
cat > /var/log/monitoring/alerts.log <<LOG
$(at $BACKLOG '%F %T') WARNING PdfRenderQueueBacklog: render01 invoice queue above 100 jobs for 10m
$(at $ALERT '%F %T') FIRING  OrdersApiDown: render01:8080/health failed 3 checks in a row (severity=page)
$(at $((ALERT - 60)) '%F %T') PAGED   OrdersApiDown -> on-call (you)
LOG
cat > /var/log/auth.log <<LOG
$(at $((CONF + 30)) '%b %e %T') render01 sshd[31790]: Accepted publickey for mlopez from 10.0.4.22 port 50122 ssh2: ED25519 SHA256:Qm3yG0a7c2pL1o9T3bqVv0sX0z1r8wq6kH5cJ4nYxAE
$(at $CONF '%b %e %T') render01 sudo:   mlopez : TTY=pts/0 ; PWD=/home/mlopez ; USER=root ; COMMAND=/usr/bin/sed -i s/MAX_WORKERS=4/MAX_WORKERS=0/ /etc/pdf-render.conf
$(at $RESTART '%b %e %T') render01 sudo:   mlopez : TTY=pts/0 ; PWD=/home/mlopez ; USER=root ; COMMAND=/usr/sbin/service pdf-render restart
$(at $((RESTART - 240)) '%b %e %T') render01 sshd[31790]: pam_unix(sshd:session): session closed for user mlopez
LOG
chown app:app /var/log/pdf-render/*.log /var/log/orders-api/error.log

