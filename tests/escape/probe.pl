#!/usr/bin/perl
# Escape and abuse attempts from a root shell inside an opslab sandbox, one line per attempt:
#   R <tab> name <tab> blocked|ESCAPED|broken <tab> evidence
# Only perl-base is used (Essential in every Debian image), so every opslab image runs it as is.
# Each attempt is bounded (seconds, the sandbox's own limits) and cleans up after itself.
# Network attempts aim only at addresses the test hands over in the environment: the host
# (where the test listens itself) and another sandbox the test started.
use strict;
use warnings;
no warnings 'portable';   # 64-bit ioctl requests
use POSIX ();
use Socket;
use Fcntl;

$| = 1;
my %ENVV = map { $_ => ($ENV{"PROBE_$_"} // '') } qw(HOST_ADDRS TCP_PORT UDP_PORT VICTIM_IP VICTIM_PORT
                                                   MEMORY PIDS DISK CPUS FILES ONLY);
my %ONLY = map { $_ => 1 } grep { length } split /,/, $ENVV{ONLY};

# x86_64 system call numbers
my %NR = (ptrace => 101, syslog => 103, capset => 126, mknod => 133, pivot_root => 155, prctl => 157,
          adjtimex => 159, chroot => 161, acct => 163, settimeofday => 164, mount => 165, umount2 => 166,
          swapon => 167, reboot => 169, sethostname => 170, iopl => 172, init_module => 175,
          quotactl => 179, setxattr => 188, clock_settime => 227, kexec_load => 246, add_key => 248,
          keyctl => 250, unshare => 272, perf_event_open => 298, open_by_handle_at => 304, setns => 308,
          process_vm_readv => 310, finit_module => 313, bpf => 321, userfaultfd => 323,
          io_uring_setup => 425, open_tree => 428, fsopen => 430, clone3 => 435);

sub report {
    my ($name, $verdict, $detail) = @_;
    $detail //= '';
    $detail =~ s/[\t\r\n]+/ /g;
    print "R\t$name\t$verdict\t$detail\n";
}

sub sys {  # (return value, errno text)
    my ($name, @args) = @_;
    local $! = 0;
    my $r = syscall($NR{$name}, @args);
    return ($r, $r == -1 ? "$!" : '');
}

# Several refused calls make one attempt: blocked when every call failed, ESCAPED naming the first that worked.
sub all_refused {
    my ($name, @calls) = @_;
    my @seen;
    for my $c (@calls) {
        my ($label, $code) = @$c;
        my ($r, $err) = $code->();
        return report($name, 'ESCAPED', "$label succeeded (returned $r)") if $r != -1;
        # an argument the kernel looked at before the permission check: the probe is wrong, not the sandbox
        return report($name, 'broken', "$label: $err (a refusal was expected)") if $err =~ /^(Bad address|Bad file descriptor|Invalid argument)$/;
        push @seen, "$label: $err";
    }
    report($name, 'blocked', join('; ', @seen));
}

sub sh {  # run a shell command, (exit code, output)
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    my $status = $?;
    return (($status & 127) ? 128 + ($status & 127) : $status >> 8, $out // '');
}

sub slurp { my ($p) = @_; open(my $f, '<', $p) or return undef; local $/; my $s = <$f>; close $f; return $s }

sub write_file {  # (ok, error) of writing $data to $path
    my ($path, $data) = @_;
    open(my $f, '>', $path) or return (0, "$!");
    my $ok = print {$f} $data;
    my $err = $ok ? '' : "$!";
    close($f) or do { $ok = 0; $err ||= "$!" };
    return ($ok, $err);
}

my (@attempts, @heavy);
sub attempt { push @attempts, [@_] }
sub heavy_attempt { push @heavy, [@_] }  # after the network attempts: they would starve them

# -- privileges ---------------------------------------------------------------------------------

my %ALLOWED = map { $_ => 1 } (0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 29);
attempt capabilities_beyond_the_allow_list => sub {
    my @extra;
    for my $pid ('self', '1') {
        my $st = slurp("/proc/$pid/status") // '';
        for my $set (qw(CapInh CapPrm CapEff CapBnd CapAmb)) {
            my ($hex) = $st =~ /^$set:\s*([0-9a-f]+)/m or next;
            my $v = hex($hex);
            for my $bit (0 .. 63) { push @extra, "$pid $set bit $bit" if ($v >> $bit) & 1 and !$ALLOWED{$bit} }
        }
    }
    @extra ? report('capabilities_beyond_the_allow_list', 'ESCAPED', join(', ', @extra))
           : report('capabilities_beyond_the_allow_list', 'blocked', 'this shell and pid 1 hold only the allow-list');
};

attempt raise_a_capability => sub {
    my $hdr = pack('LL', 0x20080522, 0);                       # _LINUX_CAPABILITY_VERSION_3, this process
    my $all = pack('LLLLLL', (1 << 21) | 0x200405fb, (1 << 21) | 0x200405fb, 0, 0, 0, 0);
    all_refused('raise_a_capability',
        ['capset +SYS_ADMIN', sub { sys('capset', $hdr, $all) }],
        ['prctl ambient raise SYS_ADMIN', sub { sys('prctl', 47, 2, 21, 0, 0) }],
        ['prctl clear no_new_privs', sub { my ($r, $e) = sys('prctl', 38, 0, 0, 0, 0);   # EINVAL: it can only be set
                                           my $nnp = (slurp('/proc/self/status') // '') =~ /^NoNewPrivs:\s*1/m;
                                           $nnp ? (-1, "still set ($e)") : (0, '') }]);
};

attempt file_capabilities => sub {
    my $f = "/tmp/.probe-fcap-$$";
    write_file($f, "x");
    my $v3 = pack('LLLLLL', 0x03000000 | 1, (1 << 21), 0, 0, 0, 0);   # VFS_CAP_REVISION_3, effective, +SYS_ADMIN
    all_refused('file_capabilities', ['setxattr security.capability', sub { sys('setxattr', $f, 'security.capability', $v3, 24, 0) }]);
    unlink $f;
};

# -- mounts and namespaces ------------------------------------------------------------------------

attempt mount_file_systems => sub {
    mkdir '/tmp/.probe-mnt';
    my @calls = map { my ($fs, $src, $opts) = @$_; ["mount $fs", sub { sys('mount', $src, '/tmp/.probe-mnt', $fs, 0, $opts) }] }
        (['tmpfs', 'none', 'size=1m'], ['proc', 'proc', ''], ['sysfs', 'sysfs', ''], ['cgroup', 'cgroup', 'pids'],
         ['cgroup2', 'cgroup2', ''], ['devpts', 'devpts', 'newinstance']);
    all_refused('mount_file_systems', @calls);
    sys('umount2', '/tmp/.probe-mnt', 2);
    rmdir '/tmp/.probe-mnt';
};

attempt bind_and_remount => sub {
    mkdir '/tmp/.probe-bind';
    all_refused('bind_and_remount',
        ['bind / to /tmp', sub { sys('mount', '/', '/tmp/.probe-bind', 0, 4096 | 16384, 0) }],   # MS_BIND|MS_REC
        ['remount /sys read-write', sub { sys('mount', 0, '/sys', 0, 32 | 4096, 0) }],           # MS_REMOUNT|MS_BIND
        ['remount /proc/sys read-write', sub { sys('mount', 0, '/proc/sys', 0, 32 | 4096, 0) }],
        ['open_tree /', sub { sys('open_tree', -100, '/', 1) }],                                  # OPEN_TREE_CLONE
        ['fsopen tmpfs', sub { sys('fsopen', 'tmpfs', 0) }]);
    rmdir '/tmp/.probe-bind';
};

attempt unmask_proc_and_sys => sub {
    all_refused('unmask_proc_and_sys', map { my $p = $_; ["umount $p", sub { sys('umount2', $p, 2) }] }
        qw(/proc/sys /proc/keys /proc/timer_list /sys/firmware /proc/acpi /sys/fs/cgroup/pids /etc/hosts));
};

attempt unshare_namespaces => sub {
    # CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWCGROUP, all of user+mount
    my @calls = map { my ($l, $f) = @$_; ["unshare $l", sub { sys('unshare', $f) }] }
        (['user', 0x10000000], ['mount', 0x00020000], ['net', 0x40000000], ['pid', 0x20000000],
         ['cgroup', 0x02000000], ['user+mount', 0x10020000]);
    my $args = pack('QQQQQQQQ', 0x10000000 | 0x00020000, 0, 0, 0, 17, 0, 0, 0);  # clone3 NEWUSER|NEWNS, SIGCHLD
    push @calls, ['clone3 user+mount', sub {
        my ($r, $e) = sys('clone3', $args, 64);
        POSIX::_exit(0) if $r == 0;   # a child that got through: leave at once, the parent reports it
        waitpid($r, 0) if $r > 0;
        ($r, $e) }];
    all_refused('unshare_namespaces', @calls);
};

attempt enter_pid1_namespaces => sub {
    my @calls;
    for my $ns (qw(mnt net pid user cgroup uts ipc)) {
        open(my $fh, '<', "/proc/1/ns/$ns") or next;
        push @calls, ["setns pid 1 $ns", sub { my @r = sys('setns', fileno($fh), 0); close $fh; @r }];
    }
    all_refused('enter_pid1_namespaces', @calls);
};

attempt nested_btrfs_subvolume => sub {
    mkdir '/tmp/.probe-subvol';
    open(my $d, '<', '/tmp/.probe-subvol') or return report('nested_btrfs_subvolume', 'broken', "open: $!");
    my $args = pack('q Z4088', 0, 'sub');
    my @calls = map { my $req = $_; [sprintf('ioctl 0x%X', $req), sub {
        my $r = ioctl($d, $req, $args); defined $r ? (0, '') : (-1, "$!") }] } (0x5000940E, 0x50009418, 0xFFFFFFFF5000940E);
    all_refused('nested_btrfs_subvolume', @calls);
    close $d;
    rmdir '/tmp/.probe-subvol/sub';
    rmdir '/tmp/.probe-subvol';
};

attempt chroot_breakout => sub {
    my @root = stat('/');
    my $marker = "/.probe-root-$$";
    write_file($marker, 'x');
    mkdir '/tmp/.probe-jail';
    my $pid = fork();
    if ($pid == 0) {   # the classic double chroot: chroot into a folder, climb out, chroot to where we landed
        chdir '/';
        chroot('/tmp/.probe-jail') or POSIX::_exit(2);
        chdir('..') for 1 .. 64;
        chroot('.') or POSIX::_exit(3);
        my @now = stat('/');
        POSIX::_exit(($now[0] == $root[0] && $now[1] == $root[1] && -e "/.probe-root-" . getppid()) ? 0 : 1);
    }
    waitpid($pid, 0);
    my $code = $? >> 8;
    unlink $marker;
    rmdir '/tmp/.probe-jail';
    $code == 0 ? report('chroot_breakout', 'blocked', 'chroot(2) is allowed (SYS_CHROOT), but climbing out lands on the sandbox\'s own root')
     : $code == 1 ? report('chroot_breakout', 'ESCAPED', 'the double chroot reached a root other than the sandbox\'s')
     : report('chroot_breakout', 'broken', "jail step failed ($code)");
};

# -- the kernel ---------------------------------------------------------------------------------

attempt load_a_kernel_module => sub {
    open(my $null, '<', '/dev/null');
    all_refused('load_a_kernel_module',
        ['finit_module', sub { sys('finit_module', fileno($null), '', 0) }],
        ['init_module', sub { my $img = "\x7fELF" . ("\0" x 60); sys('init_module', $img, length $img, '') }],
        ['modprobe', sub { my ($c, $o) = sh('modprobe -q dummy'); $c == 0 && -d '/sys/module/dummy' ? (0, '') : (-1, "exit $c") }]);
};

attempt kexec_and_reboot => sub {
    all_refused('kexec_and_reboot',
        ['kexec_load', sub { sys('kexec_load', 0, 0, 0, 0) }],
        ['reboot CAD_OFF', sub { sys('reboot', 0xfee1dead, 672274793, 0, 0) }]);
};

attempt bpf => sub {
    my $attr = pack('LLLL', 1, 4, 4, 1) . ("\0" x 112);   # BPF_MAP_TYPE_HASH, 4-byte keys and values, 1 entry
    all_refused('bpf', ['bpf map create', sub { sys('bpf', 0, $attr, length $attr) }]);
};

attempt perf_event_open => sub {
    my $attr = pack('LLQ', 1, 128, 0) . ("\0" x 112);     # PERF_TYPE_SOFTWARE, CPU clock
    all_refused('perf_event_open',
        ['this process, any cpu', sub { sys('perf_event_open', $attr, 0, -1, -1, 0) }],
        ['all processes, cpu 0', sub { sys('perf_event_open', $attr, -1, 0, -1, 0) }]);
};

attempt userfaultfd => sub { all_refused('userfaultfd', ['userfaultfd', sub { sys('userfaultfd', 0) }]) };

attempt io_uring => sub {
    my $params = "\0" x 120;
    all_refused('io_uring', ['io_uring_setup', sub { sys('io_uring_setup', 1, $params) }]);
};

attempt kernel_keyring => sub {
    all_refused('kernel_keyring',
        ['add_key user', sub { sys('add_key', 'user', 'probe', 'secret', 6, -4) }],   # KEY_SPEC_SESSION_KEYRING
        ['keyctl get session keyring', sub { sys('keyctl', 0, -3, 1) }]);
};

attempt kernel_log => sub {
    my $buf = "\0" x 4096;
    all_refused('kernel_log',
        ['syslog read all', sub { sys('syslog', 3, $buf, 4096) }],
        ['open /dev/kmsg', sub { sysopen(my $f, '/dev/kmsg', O_RDONLY) ? (0, '') : (-1, "$!") }]);
};

attempt set_the_clock => sub {
    my $tv = pack('qq', time(), 0);
    all_refused('set_the_clock',
        ['clock_settime REALTIME (to now)', sub { sys('clock_settime', 0, $tv) }],
        ['settimeofday (to now)', sub { sys('settimeofday', $tv, 0) }],
        ['adjtimex set tick', sub { my $tx = pack('L', 0x4000) . ("\0" x 204); sys('adjtimex', $tx) }]);  # ADJ_TICK (tick 0: refused even if allowed)
};

attempt open_by_handle => sub {   # "shocker": open host files by handle, bypassing the mount namespace
    my $handle = pack('LLQ', 8, 1, 2);   # handle_bytes, handle_type FILEID_INO32_GEN, inode 2 (a file system root)
    all_refused('open_by_handle', ['open_by_handle_at', sub { sys('open_by_handle_at', -100, $handle, 0) }]);
};

attempt port_io_and_system_calls => sub {
    all_refused('port_io_and_system_calls',
        ['iopl 3', sub { sys('iopl', 3) }],
        ['swapon /etc/hosts', sub { sys('swapon', '/etc/hosts', 0) }],
        ['acct', sub { sys('acct', '/tmp/.probe-acct') }],
        ['pivot_root', sub { sys('pivot_root', '/tmp', '/tmp') }],
        ['sethostname', sub { sys('sethostname', 'probe', 5) }],
        ['quotactl', sub { sys('quotactl', 0x800007, '/', 0, 0) }]);   # Q_SYNC, user quotas
    unlink '/tmp/.probe-acct';
};

attempt ptrace_pid1 => sub {
    # ptrace of a process with the same user and no more capabilities is allowed by Linux (and by
    # the engine's seccomp profile); what matters is that pid 1 is inside the sandbox and holds
    # nothing the shell lacks. process_vm_readv needs SYS_PTRACE and is refused.
    my ($r, $e) = sys('process_vm_readv', 1, pack('QQ', 0, 0), 1, pack('QQ', 0, 0), 1, 0);
    return report('ptrace_pid1', 'ESCAPED', "process_vm_readv of pid 1 succeeded") if $r != -1;
    my $self = slurp('/proc/self/status') // '';
    my $one = slurp('/proc/1/status') // '';
    my ($se) = $self =~ /^CapEff:\s*(\S+)/m;
    my ($oe) = $one =~ /^CapEff:\s*(\S+)/m;
    my @diff = grep { (readlink("/proc/1/ns/$_") // '') ne (readlink("/proc/self/ns/$_") // '') } qw(mnt net pid user cgroup uts ipc);
    return report('ptrace_pid1', 'ESCAPED', "pid 1 holds capabilities $oe beyond the shell's $se") if (hex($oe) & ~hex($se));
    return report('ptrace_pid1', 'ESCAPED', "pid 1 lives in other namespaces: @diff") if @diff;
    my $cmd = slurp('/proc/1/cmdline') // '';
    $cmd =~ s/\0/ /g;
    report('ptrace_pid1', 'blocked', "process_vm_readv: $e; pid 1 ($cmd) shares this shell's namespaces and capabilities");
};

attempt host_processes_visible => sub {
    opendir(my $d, '/proc');
    my @pids = grep { /^\d+$/ } readdir $d;
    my @host = grep { my $c = slurp("/proc/$_/cmdline") // ''; $c =~ /\b(dockerd|containerd|systemd|sshd|gunicorn|celery|redis-server)\b/ && $c !~ /probe/ } @pids;
    my $init = slurp('/proc/1/cmdline') // '';
    @host ? report('host_processes_visible', 'ESCAPED', "host processes visible: @host")
      : $init !~ /docker-init/ ? report('host_processes_visible', 'ESCAPED', "pid 1 is not the sandbox's init: $init")
      : report('host_processes_visible', 'blocked', scalar(@pids) . ' processes visible, pid 1 is docker-init');
};

# -- devices, /proc, /sys, cgroups ------------------------------------------------------------

attempt make_device_nodes => sub {
    all_refused('make_device_nodes',
        ['mknod block 8:0', sub { sys('mknod', '/tmp/.probe-sda', 0o060600, (8 << 8) | 0) }],
        ['mknod char 1:1 (mem)', sub { sys('mknod', '/tmp/.probe-mem', 0o020600, (1 << 8) | 1) }],
        ['mknod char 10:229 (fuse)', sub { sys('mknod', '/tmp/.probe-fuse', 0o020600, (10 << 8) | 229) }]);
    unlink '/tmp/.probe-sda', '/tmp/.probe-mem', '/tmp/.probe-fuse';
};

attempt host_devices => sub {
    my @found = grep { -e $_ } qw(/dev/mem /dev/kmem /dev/port /dev/kmsg /dev/sda /dev/vda /dev/nvme0 /dev/fuse
                                 /dev/loop-control /dev/loop0 /dev/net/tun /dev/kvm /dev/dri /dev/cpu);
    opendir(my $d, '/dev');
    push @found, map { "/dev/$_ (block)" } grep { -b "/dev/$_" } readdir $d;
    @found ? report('host_devices', 'ESCAPED', "present: @found") : report('host_devices', 'blocked', 'no memory, disk, fuse, loop, tun or kvm device in /dev');
};

attempt write_proc_sys => sub {
    my @calls = map { my ($p, $v) = @$_; ["write $p", sub { my ($ok, $err) = write_file($p, $v); $ok ? (0, '') : (-1, $err) }] }
        (['/proc/sys/kernel/core_pattern', "|/tmp/pwn\n"], ['/proc/sys/kernel/modprobe', "/tmp/pwn\n"],
         ['/proc/sys/net/ipv4/ip_forward', "1\n"], ['/proc/sys/vm/drop_caches', "3\n"], ['/proc/sysrq-trigger', "h"]);
    all_refused('write_proc_sys', @calls);
};

attempt write_sysfs => sub {
    my @calls = map { my $p = $_; ["write $p", sub { my ($ok, $err) = write_file($p, "/tmp/pwn\n"); $ok ? (0, '') : (-1, $err) }] }
        qw(/sys/kernel/uevent_helper /sys/kernel/mm/transparent_hugepage/enabled /sys/power/state /sys/class/net/eth0/mtu);
    all_refused('write_sysfs', @calls);
};

attempt kernel_memory_and_symbols => sub {
    my $leak = '';
    if (open(my $k, '<', '/proc/kcore')) { my $n = sysread($k, my $b, 64); $leak .= "/proc/kcore gave $n bytes; " if $n }
    if (open(my $s, '<', '/proc/kallsyms')) { my $l = <$s> // ''; $leak .= "kallsyms addresses visible ($l); " if $l =~ /^0*[1-9a-f]/ }
    $leak ? report('kernel_memory_and_symbols', 'ESCAPED', $leak)
          : report('kernel_memory_and_symbols', 'blocked', 'no /proc/kcore bytes, kallsyms addresses zeroed');
};

attempt raise_own_cgroup_limits => sub {
    my @calls;
    for my $p (qw(/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes
                  /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max
                  /sys/fs/cgroup/devices/devices.allow)) {
        next unless -e $p;
        my $v = $p =~ /devices/ ? "a *:* rwm\n" : $p =~ /quota/ ? "-1\n" : "max\n";
        push @calls, ["write $p", sub { my ($ok, $err) = write_file($p, $v); $ok ? (0, '') : (-1, $err) }];
    }
    return report('raise_own_cgroup_limits', 'broken', 'no cgroup limit file found') unless @calls;
    all_refused('raise_own_cgroup_limits', @calls);
};

attempt cgroup_release_agent => sub {   # CVE-2022-0492: a release_agent runs as root on the host
    my @calls;
    for my $p (glob('/sys/fs/cgroup/*/release_agent'), glob('/sys/fs/cgroup/*/notify_on_release')) {
        push @calls, ["write $p", sub { my ($ok, $err) = write_file($p, $p =~ /agent/ ? "/tmp/pwn\n" : "1\n"); $ok ? (0, '') : (-1, $err) }];
    }
    push @calls, ['mkdir a child cgroup', sub { my $d = (glob('/sys/fs/cgroup/pids'))[0] // '/sys/fs/cgroup';
                                               mkdir("$d/probe") ? do { rmdir "$d/probe"; (0, '') } : (-1, "$!") }];
    all_refused('cgroup_release_agent', @calls);
};

# -- the network --------------------------------------------------------------------------------

attempt raw_and_packet_sockets => sub {
    all_refused('raw_and_packet_sockets',
        ['AF_INET SOCK_RAW icmp', sub { socket(my $s, AF_INET, SOCK_RAW, 1) ? (0, '') : (-1, "$!") }],
        ['AF_INET SOCK_RAW tcp', sub { socket(my $s, AF_INET, SOCK_RAW, 6) ? (0, '') : (-1, "$!") }],
        ['AF_PACKET SOCK_RAW (sniff every frame)', sub { socket(my $s, 17, SOCK_RAW, 0x0300) ? (0, '') : (-1, "$!") }]);
};

attempt change_the_network => sub {
    my ($dev) = (`ip -o link show 2>/dev/null` =~ /^\d+:\s+(eth\d+)[\@:]/m);
    $dev //= 'eth0';
    my @calls = map { my $c = $_; ["$c", sub { my ($code, $out) = sh($c); $code == 0 ? (0, '') : (-1, (split /\n/, $out)[0] // "exit $code") }] }
        ("ip link set $dev mtu 1400", "ip addr add 10.213.255.250/32 dev $dev", 'ip route add 10.213.255.0/24 dev lo',
         "ip link set $dev address 02:00:00:00:00:01", 'ip link add probe0 type dummy');
    push @calls, ['iptables (IPT_SO_SET_REPLACE needs a raw socket)', sub { socket(my $s, AF_INET, SOCK_RAW, 255) ? (0, '') : (-1, "$!") }];
    all_refused('change_the_network', @calls);
};

attempt docker_socket => sub {
    my @found = grep { -e $_ } qw(/var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock
                                 /var/run/containerd/containerd.sock /run/docker/libnetwork /run/runc);
    my ($c, $out) = sh('find / -xdev -type s 2>/dev/null | head -20');
    push @found, grep { /docker|containerd|runc|buildkit/ } split /\n/, $out;
    for my $path (qw(/var/run/docker.sock /run/containerd/containerd.sock)) {
        socket(my $s, AF_UNIX, SOCK_STREAM, 0) or next;
        push @found, "connected to $path" if connect($s, pack_sockaddr_un($path));
    }
    @found ? report('docker_socket', 'ESCAPED', "@found") : report('docker_socket', 'blocked', 'no engine socket in the file system');
};

# Network attempts run in parallel (each waits out its own 1-2 s timeout), started first.
my @net;
sub net_attempt { push @net, [@_] }

sub nc_fails { my ($cmd) = @_; my ($code, $out) = sh($cmd); return ($code != 0, "exit $code") }

net_attempt host_services_via_the_gateway => sub {
    my ($gw) = (`ip route 2>/dev/null` =~ /default via (\S+)/);
    return ('broken', 'no default route to find the gateway') unless $gw;
    my ($ok, $d) = nc_fails("nc -z -w 2 $gw $ENVV{TCP_PORT}");
    return ($ok ? 'blocked' : 'ESCAPED', "tcp $gw:$ENVV{TCP_PORT} ($d)");
};

net_attempt host_services_via_every_host_address => sub {
    my @open;
    my @pids = map { my $a = $_; my $p = fork(); if (!$p) { my ($ok) = nc_fails("nc -z -w 2 $a $ENVV{TCP_PORT}"); POSIX::_exit($ok ? 0 : 1) } [$a, $p] }
        grep { length } split /,/, $ENVV{HOST_ADDRS};
    for (@pids) { waitpid($_->[1], 0); push @open, $_->[0] if $? >> 8 }
    return ('broken', 'no host addresses given') unless @pids;
    return @open ? ('ESCAPED', "connected to @open") : ('blocked', 'tcp refused or dropped at ' . join(' ', map { $_->[0] } @pids));
};

net_attempt host_udp_service => sub {
    my ($gw) = (`ip route 2>/dev/null` =~ /default via (\S+)/);
    my @to = grep { length } ($gw // '', split /,/, $ENVV{HOST_ADDRS});
    sh("printf probe-udp | nc -u -w 1 $_ $ENVV{UDP_PORT}") for @to;   # the host side counts what arrives
    return ('host-judged', 'udp datagrams sent to ' . join(' ', @to));
};

net_attempt other_sandbox_by_ip => sub {
    my ($ok, $d) = nc_fails("nc -z -w 2 $ENVV{VICTIM_IP} $ENVV{VICTIM_PORT}");
    return ($ok ? 'blocked' : 'ESCAPED', "tcp $ENVV{VICTIM_IP}:$ENVV{VICTIM_PORT} ($d)");
};

net_attempt other_sandbox_ping => sub {
    my ($code, $out) = sh("ping -c 1 -W 2 $ENVV{VICTIM_IP}");
    return ($code != 0 ? 'blocked' : 'ESCAPED', "ping $ENVV{VICTIM_IP}: exit $code");
};

net_attempt other_sandbox_by_name => sub {
    # The victim's names are registered only on its own network; /etc/hosts and the engine's DNS
    # here know this sandbox's hosts alone. (No lookup of an unknown name is sent: the engine
    # would forward it to the host's resolver.)
    my $hosts = slurp('/etc/hosts') // '';
    return ('ESCAPED', "/etc/hosts names the other sandbox") if index($hosts, $ENVV{VICTIM_IP}) >= 0;
    return ('blocked', "the other sandbox's address is in no name table here");
};

# -- resources ----------------------------------------------------------------------------------

heavy_attempt fork_bomb => sub {
    my (@kids, $err);
    for (1 .. $ENVV{PIDS} + 50) {
        my $p = fork();
        if (!defined $p) { $err = "$!"; last }
        if ($p == 0) { sleep 30; POSIX::_exit(0) }
        push @kids, $p;
    }
    kill 'KILL', @kids;
    waitpid($_, 0) for @kids;
    !$err ? report('fork_bomb', 'ESCAPED', scalar(@kids) . " processes made, past the limit of $ENVV{PIDS}")
      : report('fork_bomb', 'blocked', scalar(@kids) . " processes made, then fork: $err (limit $ENVV{PIDS})");
};

heavy_attempt memory_bomb => sub {
    my $p = fork();
    if ($p == 0) {
        write_file('/proc/self/oom_score_adj', "1000");
        my $x = 'm' x ($ENVV{MEMORY} * 2);   # twice the limit, touched
        POSIX::_exit(0);
    }
    waitpid($p, 0);
    my $sig = $? & 127;
    $sig == 9 ? report('memory_bomb', 'blocked', "the allocation of twice the limit ($ENVV{MEMORY} bytes) was killed")
      : report('memory_bomb', 'ESCAPED', "allocating twice the memory limit ended with status $?");
};

heavy_attempt memory_via_tmpfs => sub {   # tmpfs pages count against the sandbox's memory limit
    my $usage = sub { my $v = slurp('/sys/fs/cgroup/memory/memory.usage_in_bytes') // slurp('/sys/fs/cgroup/memory.current'); defined $v ? $v + 0 : undef };
    return report('memory_via_tmpfs', 'broken', 'no memory usage file in /sys/fs/cgroup') unless defined $usage->();
    my (@free, @seen);
    for my $dir (qw(/dev/shm /sys/fs/cgroup /run /tmp)) {
        my $fs = (split ' ', (`stat -f -c %T $dir 2>/dev/null` // ''))[0] // '';
        next unless $fs eq 'tmpfs' && -w $dir;
        my $before = $usage->();
        my ($c) = sh("head -c 32M /dev/zero > $dir/.probe-fill");
        my $grew = ($usage->() - $before) / 1048576;
        unlink "$dir/.probe-fill";
        push @seen, sprintf('%s: +%d MiB of the sandbox\'s memory', $dir, $grew);
        push @free, $dir if $c == 0 && $grew < 24;
    }
    @free ? report('memory_via_tmpfs', 'ESCAPED', "32 MiB in tmpfs not charged to the sandbox: @free")
          : report('memory_via_tmpfs', 'blocked', 'every writable tmpfs is charged to the sandbox\'s memory (' . join('; ', @seen) . ')');
};

heavy_attempt cpu_burn => sub {
    my $t0 = POSIX::times();
    my @kids = map { my $p = fork(); if (!$p) { 1 while 1 } $p } 1 .. 3;
    select(undef, undef, undef, 1.0);
    my $used = 0;
    for (@kids) { my @f = split ' ', (slurp("/proc/$_/stat") // ''); $used += ($f[13] // 0) + ($f[14] // 0) }
    kill 'KILL', @kids;
    waitpid($_, 0) for @kids;
    my $secs = $used / POSIX::sysconf(POSIX::_SC_CLK_TCK());
    my $cap = $ENVV{CPUS} * 1.0 * 1.35 + 0.05;
    $secs > $cap ? report('cpu_burn', 'ESCAPED', sprintf('3 busy processes used %.2f s of CPU in 1 s (limit %s CPUs)', $secs, $ENVV{CPUS}))
                 : report('cpu_burn', 'blocked', sprintf('3 busy processes got %.2f s of CPU in 1 s (limit %s CPUs)', $secs, $ENVV{CPUS}));
};

# -- disk ---------------------------------------------------------------------------------------

my $DISK_MB = int($ENVV{DISK} / 1048576);
sub fill {   # (exit code, error) of writing $mb MiB to $path
    my ($path, $mb, $append) = @_;
    my $redir = $append ? '>>' : '>';
    my ($c, $out) = sh("head -c ${mb}M /dev/zero $redir $path");
    return ($c, (split /\n/, $out)[0] // '');
}

heavy_attempt disk_fill => sub {
    my ($c, $e) = fill('/root/.probe-fill', $DISK_MB * 2);
    my $size = -s '/root/.probe-fill' // 0;
    unlink '/root/.probe-fill';
    $c != 0 ? report('disk_fill', 'blocked', "writing twice the ${DISK_MB} MiB cap stopped at " . int($size / 1048576) . " MiB: $e")
            : report('disk_fill', 'ESCAPED', "wrote " . ($DISK_MB * 2) . " MiB past a ${DISK_MB} MiB cap");
};

heavy_attempt disk_fill_deleted_but_open => sub {
    open(my $held, '+>', '/root/.probe-held') or return report('disk_fill_deleted_but_open', 'broken', "$!");
    unlink '/root/.probe-held';
    my $chunk = "\0" x 1048576;
    my $mb = 0;
    while ($mb < $DISK_MB * 2) { syswrite($held, $chunk) == 1048576 or last; $mb++ }
    my $err = "$!";
    close $held;
    $mb < $DISK_MB * 2 ? report('disk_fill_deleted_but_open', 'blocked', "a deleted file held open took ${mb} MiB, then: $err")
                       : report('disk_fill_deleted_but_open', 'ESCAPED', "a deleted file held open took ${mb} MiB past a ${DISK_MB} MiB cap");
};

heavy_attempt disk_via_engine_files => sub {   # /etc/hosts, /etc/hostname, /etc/resolv.conf are bind mounts of the engine's own files
    my @over;
    for my $f (qw(/etc/hosts /etc/resolv.conf /etc/hostname)) {
        my $keep = slurp($f) // '';
        my ($c, $e) = fill($f, $f eq '/etc/hosts' ? $DISK_MB + 16 : 1, 1);
        my $size = -s $f // 0;
        truncate($f, length $keep);
        push @over, sprintf('%s took %d MiB', $f, $size / 1048576) if $f eq '/etc/hosts' && $c == 0 && $size > $DISK_MB * 1048576;
    }
    @over ? report('disk_via_engine_files', 'ESCAPED', join('; ', @over) . " past the ${DISK_MB} MiB cap (files outside the sandbox's quota)")
          : report('disk_via_engine_files', 'blocked', "writes to the engine's bind-mounted files stopped at the cap");
};

heavy_attempt disk_many_files => sub {   # left in place: the host measures what they cost after the probe
    mkdir '/root/.probe-many';
    my ($c, $out) = sh("cd /root/.probe-many && seq " . ($ENVV{FILES} || 10000) . " | xargs touch");
    opendir(my $d, '/root/.probe-many');
    my $n = grep { !/^\./ } readdir $d;
    report('disk_many_files', 'host-judged', "made $n empty files" . ($c ? " then: " . ((split /\n/, $out)[0] // "exit $c") : ''));
};

# -- run ----------------------------------------------------------------------------------------

my %running;
for my $a (@net) {
    my ($name, $code) = @$a;
    next if %ONLY && !$ONLY{$name};
    pipe(my $r, my $w);
    my $p = fork();
    if ($p == 0) { close $r; my ($v, $d) = $code->(); print {$w} "$v\t$d"; close $w; POSIX::_exit(0) }
    close $w;
    $running{$name} = [$p, $r];
}
for my $a (@attempts) {
    my ($name, $code) = @$a;
    next if %ONLY && !$ONLY{$name};
    eval { $code->(); 1 } or report($name, 'broken', "probe error: $@");
}
for my $name (sort keys %running) {
    my ($p, $r) = @{$running{$name}};
    local $/;
    my $line = <$r> // '';
    waitpid($p, 0);
    my ($v, $d) = split /\t/, $line, 2;
    report($name, $v || 'broken', $d // 'no answer');
}
for my $a (@heavy) {
    my ($name, $code) = @$a;
    next if %ONLY && !$ONLY{$name};
    eval { $code->(); 1 } or report($name, 'broken', "probe error: $@");
}
print "DONE\n";
