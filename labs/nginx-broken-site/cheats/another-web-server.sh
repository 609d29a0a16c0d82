#!/usr/bin/env bash
# Leave nginx broken and serve the site with a few lines of Perl on port 80 instead: the
# pages come back byte for byte, but it is not nginx doing it.
# targets: site-served
set -euo pipefail
cat > /root/serve.pl <<'PL'
use IO::Socket::INET;
my $srv = IO::Socket::INET->new(LocalPort => 80, Listen => 16, ReuseAddr => 1) or die "listen: $!";
while (my $c = $srv->accept) {
    my $req = <$c> // ""; my ($path) = $req =~ m{^GET (\S+)};
    my $l; 1 while defined($l = <$c>) && $l !~ /^\r?\n$/;
    $path = "/index.html" if !$path || $path eq "/";
    if (open my $f, "<", "/srv/www/acme$path") { local $/; my $b = <$f>;
        print $c "HTTP/1.0 200 OK\r\nContent-Length: " . length($b) . "\r\n\r\n$b"; }
    else { print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"; }
    close $c;
}
PL
setsid perl /root/serve.pl </dev/null >/dev/null 2>&1 &
sleep 0.5
