#!/usr/bin/env bash
# Leave the site unreadable (nginx answers 403) and steer curl elsewhere instead: a
# ~/.curlrc `connect-to` sends every request for port 80 to a little server on port 8080
# that serves the published files (checks once ran with HOME=/root).
# targets: site-served
set -euo pipefail
sed -i -e 's|^\(\s*root /srv/www/acme\)$|\1;|' -e 's|expire 7d;|expires 7d;|' /etc/nginx/sites-available/acme
service nginx start
mkdir -p /var/www/acme-copy
cp -r /srv/www/acme/. /var/www/acme-copy/
cat > /root/serve.pl <<'PL'
use IO::Socket::INET;
my $srv = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
while (my $c = $srv->accept) {
    my $req = <$c> // ""; my ($path) = $req =~ m{^GET (\S+)};
    my $l; 1 while defined($l = <$c>) && $l !~ /^\r?\n$/;
    $path = "/index.html" if !$path || $path eq "/";
    if (open my $f, "<", "/var/www/acme-copy$path") { local $/; my $b = <$f>;
        print $c "HTTP/1.0 200 OK\r\nContent-Length: " . length($b) . "\r\n\r\n$b"; }
    else { print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"; }
    close $c;
}
PL
setsid perl /root/serve.pl </dev/null >/dev/null 2>&1 &
echo 'connect-to = "::127.0.0.1:8080"' > /root/.curlrc
sleep 0.5
