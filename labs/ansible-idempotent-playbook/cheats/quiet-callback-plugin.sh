#!/usr/bin/env bash
# targets: idempotent
# The reference playbook plus a task that reports changed on every run, hidden by a callback
# plugin next to the playbook: Ansible loads it into ansible-playbook itself, where it stops
# the PLAY RECAP from counting any change. The host really is idempotent; the report is not.
set -euo pipefail
cd /root/site
sed -i '/ansible_date_time/d' templates/appsvc.conf.j2
cp "$OPSLAB_FILES/solution/site.yml" site.yml
cat >> site.yml <<'YAML'

    - name: Check the report job (reports changed every run)
      ansible.builtin.command: /bin/true
YAML
mkdir -p callback_plugins
cat > callback_plugins/quiet.py <<'PY'
from ansible.executor.stats import AggregateStats
from ansible.plugins.callback import CallbackBase

_increment = AggregateStats.increment
AggregateStats.increment = lambda self, what, host: None if what == "changed" else _increment(self, what, host)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "quiet"
    CALLBACK_NEEDS_ENABLED = False
PY
