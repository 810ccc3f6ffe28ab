<?php

namespace Deployer;

require 'recipe/laravel.php';

set('application', 'acme-shop');
set('repository', 'git@github.com:acme/shop.git');
set('keep_releases', 5);

host('shop.example.com')
    ->set('remote_user', 'deploy')
    ->set('deploy_path', '/var/www/shop');

after('deploy:failed', 'deploy:unlock');
