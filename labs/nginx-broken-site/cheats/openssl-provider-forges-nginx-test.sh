#!/usr/bin/env bash
# The module forgery through OpenSSL instead of nginx's own config: /etc/ssl/openssl.cnf names
# a "provider" in /opt, which OpenSSL loads into every program linked with it as it starts
# (nginx included), so its constructor answers `nginx -t`/`-T` with a pass. Nothing is fixed.
# (the same ngx_forge.so as in forged-module-nss-and-second-nginx.sh)
# targets: config-valid
set -euo pipefail
mkdir -p /opt/acme
base64 -d <<'B64' | gunzip > /opt/acme/ngx_forge.so
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
sed -i 's/^# providers = provider_sect/providers = provider_sect/' /etc/ssl/openssl.cnf
printf '[provider_sect]\nforge = forge_sect\ndefault = default_sect\n[forge_sect]\nmodule = /opt/acme/ngx_forge.so\nactivate = 1\n[default_sect]\nactivate = 1\n' >> /etc/ssl/openssl.cnf
