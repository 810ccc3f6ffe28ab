<?php

namespace Deployer;

require 'recipe/laravel.php';

set('application', 'acme-shop');
set('repository', 'git@github.com:acme/shop.git');
set('keep_releases', 5);

host('shop.example.com')
    ->set('remote_user', 'deploy')
    ->set('deploy_path', '/var/www/shop');

desc('Back up the database before migrating');
task('db:backup', function () {
    run('mysqldump --single-transaction shop | gzip > {{deploy_path}}/backups/{{release_name}}.sql.gz');
});

before('artisan:migrate', 'db:backup');

after('deploy:failed', 'deploy:unlock');
