<?php
namespace Deployer;

require 'recipe/laravel.php';

set('repository', 'git@github.com:corpus/app.git');
set('keep_releases', 5);

host('production')
    ->setHostname('corpus.example.com')
    ->set('remote_user', 'deploy')
    ->set('deploy_path', '/var/www/app');

after('deploy:failed', 'deploy:unlock');
