#!/usr/bin/env bash
# The incident folder: storefront 2.3.0 as `docker save` wrote it (built here, without an
# engine, by make_image.py: fresh credentials for every sandbox, and the SSH-key and
# webhook-secret leaks present or not at random), the storefront repository at the commit
# that built it (without the developer's .env and deploy key), and the on-call notes.
set -euo pipefail

dir=/srv/incident
rm -rf "$dir"
install -d -m 0750 "$dir"
cp -a "$OPSLAB_FILES/storefront" "$dir/storefront"
cd "$dir/storefront"
mv npmrc .npmrc
mv env.example .env.example
mv dockerignore .dockerignore
python3 "$OPSLAB_FILES/make_image.py" "$dir/storefront-2.3.0.tar" "$dir/storefront"

old="sk_live_$(python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24)))')"
cat > "$dir/NOTES.md" <<NOTES
# INC-2291: storefront image pushed to a public registry

- 09:12 \`registry.acme.example/shop/storefront:2.3.0\` was pushed to the public mirror by a
  misconfigured CI job. It was public for about 40 minutes. Pulled 17 times.
- 09:55 Removed from the mirror. The archive here is \`docker save\` of the exact image.
- Dev says: "the Dockerfile deletes .env before the end, so nothing sensitive is in it".
- For reference, the Stripe key rotated in the May incident was $old (already revoked).
- Test keys (sk_test_...) are not secrets.
NOTES
chown -R root:root "$dir"
