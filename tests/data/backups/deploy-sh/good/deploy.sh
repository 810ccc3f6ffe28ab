#!/usr/bin/env bash
set -euo pipefail
# Deploy to the shop server: pull, install, migrate, reload.
ssh deploy@shop.example.com <<'EOF'
  set -e
  cd /var/www/shop
  git pull origin main
  composer install --no-dev --optimize-autoloader
  mysqldump --single-transaction shop | gzip > ~/backups/shop-$(date +%s).sql.gz
  php artisan migrate --force
  php artisan config:cache
  sudo systemctl reload php8.3-fpm
EOF
