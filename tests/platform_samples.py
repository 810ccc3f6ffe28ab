"""Realistic platform files shared by the platform-reader and rollback tests."""

OPENCAL_FLY = """\
app = "opencal"
primary_region = "sea"
kill_signal = "SIGINT"
kill_timeout = 10

[experimental]
  auto_rollback = true

[deploy]
  release_command = "bin/release"
  strategy = "bluegreen"

[env]
  RAILS_DEFAULT_URL = "https://opencal.me"

[[services]]
  protocol = "tcp"
  internal_port = 3000
  processes = ["app"]

[[services.ports]]
  port = 443
  handlers = ["tls", "http"]

[[services.http_checks]]
  interval = "15s"
  timeout = "2s"
  method = "get"
  path = "/status"
  protocol = "http"
"""


KAMAL = """\
service: campfire
image: basecamp/campfire

servers:
  web:
    - 192.168.0.1

proxy:
  ssl: true
  host: campfire.example.com
  healthcheck:
    path: /up
    interval: 3

registry:
  username: deploy
"""


DEPLOY_PHP = """\
<?php
namespace Deployer;

require 'recipe/laravel.php';

set('repository', 'git@github.com:acme/app.git');
set('keep_releases', 1);

host('prod.example.com')
    ->set('remote_user', 'deployer')
    ->set('deploy_path', '/var/www/app');
"""
