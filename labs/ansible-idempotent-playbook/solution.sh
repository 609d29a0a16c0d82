#!/usr/bin/env bash
# Reference solution: every task states the result it wants instead of an action to repeat.
set -euo pipefail
cd /root/site

# The "generated on <timestamp>" line re-rendered the file on every run.
sed -i '/ansible_date_time/d' templates/appsvc.conf.j2

cat > site.yml <<'YAML'
---
- name: Configure appsvc
  hosts: appsvc
  vars:
    appsvc_home: /var/lib/appsvc
    appsvc_port: 9100
    appsvc_workers: 4

  tasks:
    - name: Create the metrics group
      ansible.builtin.group:
        name: metrics
        system: true

    - name: Create the appsvc service account
      ansible.builtin.user:
        name: appsvc
        system: true
        groups: metrics
        append: true
        home: "{{ appsvc_home }}"
        create_home: false
        shell: /usr/sbin/nologin

    - name: Create the home and data directories, owned by appsvc
      ansible.builtin.file:
        path: "{{ item }}"
        state: directory
        owner: appsvc
        group: appsvc
        mode: "0750"
      loop:
        - "{{ appsvc_home }}"
        - "{{ appsvc_home }}/data"

    - name: Create the configuration directory
      ansible.builtin.file:
        path: /etc/appsvc
        state: directory
        mode: "0755"

    - name: Deploy the configuration
      ansible.builtin.template:
        src: appsvc.conf.j2
        dest: /etc/appsvc/appsvc.conf
        mode: "0644"

    - name: Raise the open-file limit for appsvc
      ansible.builtin.copy:
        dest: /etc/security/limits.d/appsvc.conf
        content: "appsvc  soft  nofile  65536\n"
        mode: "0644"

    - name: Log at info level
      ansible.builtin.lineinfile:
        path: /etc/default/appsvc
        regexp: '^LOG_LEVEL='
        line: LOG_LEVEL=info

    - name: Install the nightly report job
      ansible.builtin.cron:
        name: appsvc nightly report
        cron_file: appsvc
        user: appsvc
        minute: "30"
        hour: "2"
        job: /usr/local/bin/appsvc-report
YAML
